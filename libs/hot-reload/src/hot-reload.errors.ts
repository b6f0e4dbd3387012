import { DomainError } from '@seed/errors';

export type HotReloadErrorCode =
  | 'no_active_version'
  | 'job_not_found'
  | 'idempotency_conflict'
  /** an agent's case fails on the active version: a goal, not a regression test */
  | 'case_fails_on_active'
  /** evaluators are out of the agent's reach, and viewers cannot invoke them */
  | 'evaluator_protected'
  /** a case's evaluator pin names no module of kind evaluator, or a version that cannot judge */
  | 'evaluator_invalid'
  /** a `Seed-Version` pin names a version that may not serve (rejected, queued, dry run) */
  | 'version_not_servable';

/** Errors of the pipeline and the invocation path; the HTTP layer maps `code` to a status in one place. */
export class HotReloadError extends DomainError<HotReloadErrorCode> {}
