import type {
  ActivationEntity,
  ModuleEntity,
  ModuleVersionEntity,
  TestCaseEntity,
  VersionSummaryRow,
} from '@seed/code-store';

/** How entities look on the wire: stable names, no compiled code, no internal flags. */

export function moduleView(
  module: ModuleEntity,
  extra: { activeSeq?: number | null; counts?: Record<string, number> } = {},
) {
  return {
    name: module.name,
    kind: module.kind,
    activeVersionId: module.activeVersionId,
    ...(extra.activeSeq !== undefined ? { activeSeq: extra.activeSeq } : {}),
    settings: module.settings,
    ...(extra.counts ? { versions: extra.counts } : {}),
    createdAt: module.createdAt,
    updatedAt: module.updatedAt,
  };
}

export function versionSummary(v: VersionSummaryRow) {
  return {
    id: v.id,
    seq: v.seq,
    status: v.status,
    parentId: v.parentId,
    author: v.author,
    rationale: v.rationale,
    score: v.score,
    dryRun: v.dryRun,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
  };
}

export function versionView(v: ModuleVersionEntity) {
  return {
    ...versionSummary(v),
    source: v.source,
    sha256: v.sha256,
    activateRequested: v.activateRequested,
    diagnostics: v.diagnostics,
    testReport: v.testReport,
  };
}

export function activationView(a: ActivationEntity) {
  return {
    fromVersionId: a.fromVersionId,
    toVersionId: a.toVersionId,
    reason: a.reason,
    actor: a.actor,
    createdAt: a.createdAt,
  };
}

export function testCaseView(t: TestCaseEntity) {
  return {
    name: t.name,
    input: t.input,
    ...(t.hasExpected ? { expect: t.expected } : {}),
    ...(t.smoke ? { smoke: true } : {}),
    ...(t.hidden ? { hidden: true } : {}),
    ...(t.evaluator ? { evaluator: t.evaluator } : {}),
    ...(t.fixtures ? { fixtures: t.fixtures } : {}),
    createdBy: t.createdBy,
    createdAt: t.createdAt,
  };
}

export function page<T>(items: T[], total: number, query: { limit: number; offset: number }) {
  return { items, total, limit: query.limit, offset: query.offset };
}
