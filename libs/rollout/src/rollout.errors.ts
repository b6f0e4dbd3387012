import { DomainError } from '@seed/errors';

export type RolloutErrorCode =
  /** the rollout's settings contradict each other (steps with stepWeight/maxWeight, weights out of order) */
  | 'invalid_rollout'
  /** the module already has a rollout in progress */
  | 'rollout_in_progress'
  /** promote, pause, resume or abort named a rollout the module does not have */
  | 'no_rollout'
  /** an agent token asked to roll out a version the module's policy does not let it put live */
  | 'rollout_not_allowed';

/** Errors of rollouts; the HTTP layer maps `code` to a status in one place. */
export class RolloutError extends DomainError<RolloutErrorCode> {}
