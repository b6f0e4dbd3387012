export { type AbortedRollout, type WatchPlan, type WatchPlanner } from './activation-switch.js';
export { ApiTokensRepository, type NewApiToken } from './api-tokens.repository.js';
export { ArtifactCache, sha256 } from './artifact-cache.js';
export { AuditRepository, type NewAuditEntry } from './audit.repository.js';
export { assertCaseRoom, CodeStoreError, type CodeStoreErrorCode } from './code-store.errors.js';
export { CodeStoreModule } from './code-store.module.js';
export {
  CodeStoreRepository,
  type ActivationResult,
  type ActiveVersion,
  type NewTestCase,
  type NewVersion,
  type Page,
  type VersionSummaryRow,
} from './code-store.repository.js';
export { caseFixturesSchema, type CaseFixtures } from './case-fixtures.js';
export * from './entities/index.js';
export {
  isPreview,
  previewJson,
  previewText,
  previewValue,
  truncateUtf8,
  utf8Bytes,
  type Preview,
} from './preview.js';
export { describeVersionRef, toVersionRef, type VersionRef } from './version-ref.js';
export {
  capabilityGrantsSchema,
  MODULE_NAME_PATTERN,
  moduleSettingsSchema,
  originSchema,
  type CapabilityGrants,
  type ModuleSettings,
} from './module-settings.js';
