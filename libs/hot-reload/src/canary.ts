import type { CanaryPolicy } from '@seed/config';
import type { ActivationReason, ModuleSettings, WatchPlan } from '@seed/code-store';
import { LATENCY_DEFAULTS } from '@seed/rollout';

export interface CallStats {
  calls: number;
  failures: number;
}

export type ModuleCanaryPolicy = CanaryPolicy & { rollbackAdminActivations: boolean };

/** Pure: the module's canary settings over the configured defaults. */
export function canaryPolicy(defaults: CanaryPolicy, settings: ModuleSettings): ModuleCanaryPolicy {
  return { ...defaults, rollbackAdminActivations: true, ...settings.canary };
}

/**
 * Pure: how an activation is watched — the rollout analysis at weight 100, from the canary settings
 * (CANARY_WINDOW → intervalMs, CANARY_MIN_CALLS → minCalls, CANARY_THRESHOLD → maxErrorRateDelta,
 * CANARY_MIN_DISTINCT_CALLERS → minDistinctCallers; one failed analysis rolls back). An admin's activation is
 * only observed when the module says admin activations are not rolled back. The watch's own rollback is not
 * watched: it returns to a version that was fine before.
 */
export function watchPlan(
  defaults: CanaryPolicy,
  settings: ModuleSettings,
  reason: ActivationReason,
  authorRole: string,
): WatchPlan | null {
  const policy = canaryPolicy(defaults, settings);
  if (reason === 'canary' || !policy.enabled) return null;
  return {
    intervalMs: policy.windowMs,
    analysis: {
      minCalls: policy.minCalls,
      maxErrorRateDelta: policy.threshold,
      ...LATENCY_DEFAULTS,
      failureLimit: 1,
      minDistinctCallers: policy.minDistinctCallers,
      observeOnly: !policy.rollbackAdminActivations && adminActivation(reason, authorRole),
    },
  };
}

export function errorRate(stats: CallStats): number {
  return stats.calls === 0 ? 0 : stats.failures / stats.calls;
}

/** Pure: an admin made this version active: by hand (activate, rollback: admin-only routes) or by submitting it. */
export function adminActivation(reason: ActivationReason, authorRole: string): boolean {
  return reason === 'manual' || reason === 'rollback' || (reason === 'gates' && authorRole === 'admin');
}
