import { type WindowStats, errorRate, percentile } from './window-stats.js';

export type OnInconclusive = 'pause' | 'promote' | 'abort';

/** How a step is judged; every threshold is relative to the stable version over the same interval. */
export interface AnalysisSettings {
  /** canary calls a step needs before it can be judged */
  minCalls: number;
  /** absolute: 0.05 = the canary's module-fault rate may exceed the stable one's by 5 points */
  maxErrorRateDelta: number;
  /** canary p99 / stable p99 */
  maxLatencyRatio: number;
  /** a canary p99 at or under this (ms) never fails the ratio: at a few ms, buckets and jitter are the ratio */
  latencyFloorMs: number;
  /** failed step analyses (in a row or not) before the rollout rolls back */
  failureLimit: number;
  /** distinct failing callers before errors can fail a step (one caller's bad calls never do) */
  minDistinctCallers: number;
  /** analyse and record, never act: the schedule moves on as if every step passed */
  observeOnly: boolean;
}

/** The latency thresholds a rollout gets unless it says otherwise, and every activation watch. */
export const LATENCY_DEFAULTS = { maxLatencyRatio: 1.5, latencyFloorMs: 50 } as const;

/**
 * `advance` to the next weight, `promote` (the last step passed), `hold` (a failed analysis below the failure
 * limit: the same weight is analysed again), `rollback`, `inconclusive` (the data cannot decide: `reason`).
 */
export type Verdict = 'advance' | 'promote' | 'hold' | 'rollback' | 'inconclusive';

/** What the rollout does about a verdict. */
export type RolloutAction = 'advance' | 'promote' | 'hold' | 'rollback' | 'pause' | 'abort';

export type VerdictReason =
  'healthy' | 'too_few_calls' | 'failures_from_too_few_callers' | 'error_rate_delta' | 'latency_ratio';

/** The values a verdict was drawn from, recorded with it so a rollback names the value that drove it. */
export interface Observed {
  canaryCalls: number;
  stableCalls: number;
  canaryErrorRate: number;
  stableErrorRate: number;
  errorRateDelta: number;
  canaryP99Ms: number | null;
  stableP99Ms: number | null;
  /** null when either side has too few calls for a p99 */
  latencyRatio: number | null;
  failingCallers: number;
}

export interface StepInput {
  canary: WindowStats;
  stable: WindowStats;
  settings: AnalysisSettings;
  onInconclusive: OnInconclusive;
  /** the schedule's weights and the index of the step under analysis */
  schedule: readonly number[];
  step: number;
  /** failed analyses so far in this rollout */
  failures: number;
}

export interface StepDecision {
  verdict: Verdict;
  reason: VerdictReason;
  action: RolloutAction;
  weight: number;
  observed: Observed;
  thresholds: AnalysisSettings;
  /** failed analyses including this one */
  failures: number;
  at: Date;
}

/** Pure: the step's interval is over and it can be judged. */
export function stepDue(stepStartedAt: Date, intervalMs: number, now: Date): boolean {
  return now.getTime() - stepStartedAt.getTime() >= intervalMs;
}

/**
 * Pure: judges one step of a rollout against the stable version. A stable side with fewer than `minCalls`
 * calls has an error rate of 0 and no p99 to compare (the canary is then judged on its own rate).
 */
export function stepVerdict(input: StepInput, now: Date): StepDecision {
  const { canary, stable, settings } = input;
  const observed = observe(canary, stable, settings.minCalls);
  const { verdict, reason } = judge(input, observed);
  const failures = input.failures + (verdict === 'hold' || verdict === 'rollback' ? 1 : 0);
  return {
    verdict,
    reason,
    action: actionFor(verdict, input),
    weight: input.schedule[input.step],
    observed,
    thresholds: settings,
    failures,
    at: now,
  };
}

function judge(input: StepInput, observed: Observed): { verdict: Verdict; reason: VerdictReason } {
  const { settings } = input;
  if (observed.canaryCalls < settings.minCalls) return { verdict: 'inconclusive', reason: 'too_few_calls' };
  const failed: VerdictReason | undefined =
    observed.errorRateDelta > settings.maxErrorRateDelta
      ? 'error_rate_delta'
      : observed.latencyRatio !== null &&
          observed.latencyRatio > settings.maxLatencyRatio &&
          (observed.canaryP99Ms ?? 0) > settings.latencyFloorMs
        ? 'latency_ratio'
        : undefined;
  if (failed === 'error_rate_delta' && observed.failingCallers < settings.minDistinctCallers) {
    return { verdict: 'inconclusive', reason: 'failures_from_too_few_callers' };
  }
  if (failed)
    return { verdict: input.failures + 1 >= settings.failureLimit ? 'rollback' : 'hold', reason: failed };
  return { verdict: input.step >= input.schedule.length - 1 ? 'promote' : 'advance', reason: 'healthy' };
}

function actionFor(verdict: Verdict, input: StepInput): RolloutAction {
  const last = input.step >= input.schedule.length - 1;
  if (input.settings.observeOnly) return last ? 'promote' : 'advance';
  if (verdict !== 'inconclusive') return verdict;
  return input.onInconclusive === 'promote'
    ? 'promote'
    : input.onInconclusive === 'abort'
      ? 'abort'
      : 'pause';
}

function observe(canary: WindowStats, stable: WindowStats, minCalls: number): Observed {
  const judged = stable.calls >= minCalls;
  const canaryErrorRate = errorRate(canary);
  const stableErrorRate = judged ? errorRate(stable) : 0;
  const canaryP99Ms = percentile(canary, 0.99);
  const stableP99Ms = judged ? percentile(stable, 0.99) : null;
  return {
    canaryCalls: canary.calls,
    stableCalls: stable.calls,
    canaryErrorRate,
    stableErrorRate,
    errorRateDelta: canaryErrorRate - stableErrorRate,
    canaryP99Ms,
    stableP99Ms,
    latencyRatio: canaryP99Ms !== null && stableP99Ms ? canaryP99Ms / stableP99Ms : null,
    failingCallers: canary.failingCallers,
  };
}
