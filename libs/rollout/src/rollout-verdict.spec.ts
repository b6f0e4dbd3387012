import { type AnalysisSettings, type StepInput, stepDue, stepVerdict } from './rollout-verdict';
import { type WindowStats, emptyStats, latencyBucket } from './window-stats';

const now = new Date('2026-12-01T12:00:00Z');

const settings: AnalysisSettings = {
  minCalls: 100,
  maxErrorRateDelta: 0.05,
  maxLatencyRatio: 1.5,
  latencyFloorMs: 50,
  failureLimit: 2,
  minDistinctCallers: 2,
  observeOnly: false,
};

function stats(calls: number, faults = 0, latencyMs = 10, failingCallers = faults > 0 ? 3 : 0): WindowStats {
  const s = emptyStats();
  s.calls = calls;
  s.faults = faults;
  s.failingCallers = failingCallers;
  s.latency[latencyBucket(latencyMs)] = calls;
  return s;
}

function input(over: Partial<StepInput>): StepInput {
  return {
    canary: stats(200),
    stable: stats(800),
    settings,
    onInconclusive: 'pause',
    schedule: [5, 25, 50, 100],
    step: 0,
    failures: 0,
    ...over,
  };
}

describe('stepVerdict', () => {
  it('advances a healthy step and records the values and thresholds', () => {
    const decision = stepVerdict(input({}), now);
    expect(decision).toMatchObject({
      verdict: 'advance',
      reason: 'healthy',
      action: 'advance',
      weight: 5,
      at: now,
    });
    expect(decision.observed).toMatchObject({
      canaryCalls: 200,
      stableCalls: 800,
      errorRateDelta: 0,
      latencyRatio: 1,
    });
    expect(decision.thresholds).toEqual(settings);
  });

  it('promotes when the last step passes, whatever its weight', () => {
    expect(stepVerdict(input({ step: 3 }), now).verdict).toBe('promote');
    expect(stepVerdict(input({ schedule: [10, 50], step: 1 }), now)).toMatchObject({
      verdict: 'promote',
      weight: 50,
    });
  });

  it('judges the error rate relative to the stable version', () => {
    // 10 % vs 8 %: a high rate, but within 5 points of stable's
    const close = input({ canary: stats(200, 20), stable: stats(800, 64) });
    expect(stepVerdict(close, now).verdict).toBe('advance');
    const jump = input({ canary: stats(200, 30), stable: stats(800, 8) });
    const decision = stepVerdict(jump, now);
    expect(decision).toMatchObject({
      verdict: 'hold',
      reason: 'error_rate_delta',
      action: 'hold',
      failures: 1,
    });
    expect(decision.observed.errorRateDelta).toBeCloseTo(0.14);
  });

  it('rolls back when the failure limit is reached', () => {
    const jump = input({ canary: stats(200, 30), stable: stats(800), failures: 1 });
    expect(stepVerdict(jump, now)).toMatchObject({ verdict: 'rollback', action: 'rollback', failures: 2 });
    const once = input({ canary: stats(200, 30), settings: { ...settings, failureLimit: 1 } });
    expect(stepVerdict(once, now).verdict).toBe('rollback');
  });

  it('fails a step on the p99 latency ratio', () => {
    const slow = input({ canary: stats(200, 0, 400), stable: stats(800, 0, 40), failures: 1 });
    const decision = stepVerdict(slow, now);
    expect(decision).toMatchObject({ verdict: 'rollback', reason: 'latency_ratio' });
    expect(decision.observed).toMatchObject({ canaryP99Ms: 500, stableP99Ms: 50, latencyRatio: 10 });
  });

  it('does not fail on the ratio while the canary p99 is within the floor', () => {
    const fast = input({ canary: stats(200, 0, 20), stable: stats(800, 0, 2), failures: 1 });
    expect(stepVerdict(fast, now)).toMatchObject({ verdict: 'advance', observed: { latencyRatio: 10 } });
  });

  it('is inconclusive with too few canary calls — never a silent wait', () => {
    const decision = stepVerdict(input({ canary: stats(99) }), now);
    expect(decision).toMatchObject({ verdict: 'inconclusive', reason: 'too_few_calls', action: 'pause' });
    expect(stepVerdict(input({ canary: stats(0), stable: stats(0) }), now).verdict).toBe('inconclusive');
  });

  it('maps inconclusive onto onInconclusive', () => {
    const few = { canary: stats(3) };
    expect(stepVerdict(input({ ...few, onInconclusive: 'promote' }), now).action).toBe('promote');
    expect(stepVerdict(input({ ...few, onInconclusive: 'abort' }), now).action).toBe('abort');
    expect(stepVerdict(input({ ...few, onInconclusive: 'pause' }), now).failures).toBe(0);
  });

  it('does not let one caller’s failures fail a step', () => {
    const oneCaller = input({ canary: stats(200, 100, 10, 1), failures: 5 });
    expect(stepVerdict(oneCaller, now)).toMatchObject({
      verdict: 'inconclusive',
      reason: 'failures_from_too_few_callers',
      failures: 5,
    });
  });

  it('judges the canary alone when stable has too few calls (rate 0, no latency ratio)', () => {
    const quietStable = input({ canary: stats(200, 0, 400), stable: stats(10, 5, 1) });
    const decision = stepVerdict(quietStable, now);
    expect(decision.verdict).toBe('advance');
    expect(decision.observed).toMatchObject({ stableErrorRate: 0, stableP99Ms: null, latencyRatio: null });
    const failing = input({ canary: stats(200, 20), stable: stats(10, 5) });
    expect(stepVerdict(failing, now)).toMatchObject({ verdict: 'hold', reason: 'error_rate_delta' });
  });

  it('in observeOnly records the verdict but moves on as if the step passed', () => {
    const observe = { ...settings, observeOnly: true };
    const bad = input({ canary: stats(200, 100), failures: 1, settings: observe });
    expect(stepVerdict(bad, now)).toMatchObject({ verdict: 'rollback', action: 'advance' });
    expect(stepVerdict(input({ canary: stats(1), settings: observe, step: 3 }), now)).toMatchObject({
      verdict: 'inconclusive',
      action: 'promote',
    });
  });
});

describe('stepDue', () => {
  it('is due once the interval has passed', () => {
    const started = new Date(now.getTime() - 1000);
    expect(stepDue(started, 1000, now)).toBe(true);
    expect(stepDue(started, 1001, now)).toBe(false);
  });
});
