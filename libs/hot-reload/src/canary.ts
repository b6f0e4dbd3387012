import type { CanaryPolicy } from '@seed/config';
import type { ActivationReason, ModuleSettings } from '@seed/code-store';

export interface CallStats {
  calls: number;
  failures: number;
}

export type CanaryVerdict = 'wait' | 'healthy' | 'rollback';

export type ModuleCanaryPolicy = CanaryPolicy & { rollbackAdminActivations: boolean };

/** Pure: the module's canary settings over the configured defaults. */
export function canaryPolicy(defaults: CanaryPolicy, settings: ModuleSettings): ModuleCanaryPolicy {
  return { ...defaults, rollbackAdminActivations: true, ...settings.canary };
}

/**
 * Pure: compares the new version's error rate with its predecessor's. Too few calls → wait; a rate above
 * the predecessor's plus the threshold → rollback, once failures came from enough distinct callers (until
 * then → wait: one caller's bad calls must not undo an activation). A predecessor with too few calls to
 * judge counts as 0.
 */
export function canaryVerdict(
  candidate: CallStats,
  predecessor: CallStats,
  policy: CanaryPolicy,
  failingCallers: number,
): CanaryVerdict {
  if (candidate.calls < policy.minCalls) return 'wait';
  const baseline = predecessor.calls >= policy.minCalls ? predecessor.failures / predecessor.calls : 0;
  const rate = candidate.failures / candidate.calls;
  if (rate <= baseline + policy.threshold) return 'healthy';
  return failingCallers >= policy.minDistinctCallers ? 'rollback' : 'wait';
}

export function errorRate(stats: CallStats): number {
  return stats.calls === 0 ? 0 : stats.failures / stats.calls;
}

/** Pure: an admin made this version active: by hand (activate, rollback: admin-only routes) or by submitting it. */
export function adminActivation(reason: ActivationReason, authorRole: string): boolean {
  return reason === 'manual' || reason === 'rollback' || (reason === 'gates' && authorRole === 'admin');
}
