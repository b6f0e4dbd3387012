import { ActivationEntity } from './activation.entity.js';
import { ApiTokenEntity } from './api-token.entity.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { ImprovementCandidateEntity, ImprovementRunEntity } from './improvement-run.entity.js';
import { ModuleVersionEntity } from './module-version.entity.js';
import { ModuleEntity } from './module.entity.js';
import { RolloutDecisionEntity } from './rollout-decision.entity.js';
import { RolloutEntity } from './rollout.entity.js';
import { ModuleSecretEntity } from './module-secret.entity.js';
import { ModuleStateEntity } from './module-state.entity.js';
import { TestCaseEntity } from './test-case.entity.js';

export * from './activation.entity.js';
export * from './api-token.entity.js';
export * from './audit-entry.entity.js';
export * from './improvement-run.entity.js';
export * from './module-version.entity.js';
export * from './module.entity.js';
export * from './rollout-decision.entity.js';
export * from './rollout.entity.js';
export * from './module-secret.entity.js';
export * from './module-state.entity.js';
export * from './test-case.entity.js';

export const ENTITIES = [
  ModuleEntity,
  ModuleVersionEntity,
  TestCaseEntity,
  ActivationEntity,
  AuditEntryEntity,
  ApiTokenEntity,
  ImprovementRunEntity,
  ImprovementCandidateEntity,
  RolloutEntity,
  RolloutDecisionEntity,
  ModuleStateEntity,
  ModuleSecretEntity,
];
