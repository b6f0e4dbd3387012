import { createHash } from 'node:crypto';
import type { NewTestCase } from '@seed/code-store';
import { errorRate, type CallStats } from '@seed/hot-reload';
import type { RecentError } from '@seed/integrations';

/** Pure: when a module's failures call for an improvement, and what that improvement is asked. */

/** The calls of one module in the current window (a tumbling window starting at `since`). */
export interface WindowStats extends CallStats {
  since: number;
}

export interface SelfHealPolicy {
  enabled: boolean;
  windowMs: number;
  minCalls: number;
  threshold: number;
  cooldownMs: number;
}

/** Counts one call (the canary's notion: a success, or a failure by the module's own fault). */
export function observe(
  stats: WindowStats | undefined,
  failed: boolean,
  now: number,
  windowMs: number,
): WindowStats {
  const fresh = !stats || now - stats.since >= windowMs;
  const base = fresh ? { calls: 0, failures: 0, since: now } : stats;
  return { calls: base.calls + 1, failures: base.failures + (failed ? 1 : 0), since: base.since };
}

export type SelfHealVerdict = 'off' | 'wait' | 'healthy' | 'cooldown' | 'schedule';

/**
 * Enough calls in the window and an error rate above the threshold → schedule, unless this node scheduled
 * one for the module within the cooldown (the cluster-wide cooldown is in Redis; the running run in PostgreSQL).
 */
export function selfHealVerdict(input: {
  stats: CallStats;
  policy: SelfHealPolicy;
  now: number;
  lastScheduledAt: number | undefined;
}): SelfHealVerdict {
  const { stats, policy } = input;
  if (!policy.enabled) return 'off';
  if (stats.calls < policy.minCalls) return 'wait';
  if (errorRate(stats) <= policy.threshold) return 'healthy';
  if (input.lastScheduledAt !== undefined && input.now - input.lastScheduledAt < policy.cooldownMs)
    return 'cooldown';
  return 'schedule';
}

const MAX_CASES = 5;

/**
 * The improvement a self-heal asks for: a goal naming the failure rate, and the failing inputs as test cases
 * without an expectation, which only assert "must not throw" — exactly what healing means. Inputs too large
 * to have been kept, and cases the module already has, are left out.
 */
export function selfHealRequest(input: {
  module: string;
  stats: CallStats;
  windowMs: number;
  errors: readonly RecentError[];
  existingCaseNames: ReadonlySet<string>;
}): { goal: string; tests: NewTestCase[] } {
  const tests: NewTestCase[] = [];
  const seen = new Set<string>();
  for (const error of input.errors) {
    if (error.input === undefined) continue;
    const name = `self-heal-${createHash('sha256')
      .update(JSON.stringify(error.input))
      .digest('hex')
      .slice(0, 12)}`;
    if (seen.has(name) || input.existingCaseNames.has(name)) continue;
    seen.add(name);
    tests.push({ name, input: error.input, hasExpected: false });
    if (tests.length >= MAX_CASES) break;
  }
  const rate = Math.round(errorRate(input.stats) * 1000) / 10;
  const codes = [...new Set(input.errors.map((e) => e.code))].join(', ') || 'errors';
  const goal =
    `Self-healing: module ${input.module} failed on ${input.stats.failures} of its last ${input.stats.calls} ` +
    `calls (${rate}% within ${Math.round(input.windowMs / 1000)} s; ${codes}). Make it handle the failing inputs ` +
    'listed under "Recent runtime errors" without throwing, timing out or returning a non-JSON value, and keep ' +
    'its behaviour on every other input unchanged.';
  return { goal, tests };
}
