import type { CanaryPolicy } from '@seed/config';
import type { ModuleSettings } from '@seed/code-store';

export interface CallStats {
  calls: number;
  failures: number;
}

export type CanaryVerdict = 'wait' | 'healthy' | 'rollback';

/** Pure: the module's canary settings over the configured defaults. */
export function canaryPolicy(defaults: CanaryPolicy, settings: ModuleSettings): CanaryPolicy {
  return { ...defaults, ...settings.canary };
}

/**
 * Pure: compares the new version's error rate with its predecessor's. Too few calls → wait; a rate above
 * the predecessor's plus the threshold → rollback. A predecessor with too few calls to judge counts as 0.
 */
export function canaryVerdict(
  candidate: CallStats,
  predecessor: CallStats,
  policy: CanaryPolicy,
): CanaryVerdict {
  if (candidate.calls < policy.minCalls) return 'wait';
  const baseline = predecessor.calls >= policy.minCalls ? predecessor.failures / predecessor.calls : 0;
  const rate = candidate.failures / candidate.calls;
  return rate > baseline + policy.threshold ? 'rollback' : 'healthy';
}

export function errorRate(stats: CallStats): number {
  return stats.calls === 0 ? 0 : stats.failures / stats.calls;
}
