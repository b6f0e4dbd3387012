import { WATCH_LOOKBACK_MS, watchDecision, watchWindows } from './activation-watch';
import type { AnalysisSettings } from './rollout-verdict';
import { emptyStats, type WindowStats } from './window-stats';

const settings: AnalysisSettings = {
  minCalls: 10,
  maxErrorRateDelta: 0.2,
  maxLatencyRatio: 1.5,
  latencyFloorMs: 50,
  failureLimit: 1,
  minDistinctCallers: 2,
  observeOnly: false,
};
const now = new Date(0);

function stats(calls: number, faults: number, failingCallers = faults ? 2 : 0): WindowStats {
  return { ...emptyStats(), calls, faults, failingCallers };
}

describe('activation watch', () => {
  it('compares the new version since the switch with the predecessor over as long before it', () => {
    expect(watchWindows(100_000, 60_000, 130_000, 1000)).toEqual({
      candidate: { fromMs: 100_000, toMs: 130_000 },
      baseline: { fromMs: 40_000, toMs: 100_000 },
      ended: false,
    });
    // over once every node has reported the last slot
    expect(watchWindows(100_000, 60_000, 160_999, 1000).ended).toBe(false);
    expect(watchWindows(100_000, 60_000, 161_000, 1000)).toMatchObject({
      candidate: { fromMs: 100_000, toMs: 160_000 },
      ended: true,
    });
  });

  it("counts the new version's calls from the slot the switch fell in", () => {
    expect(watchWindows(100_400, 60_000, 101_000, 1000).candidate).toEqual({
      fromMs: 100_000,
      toMs: 101_000,
    });
  });

  it('reads at most the latest stretch of a long watch', () => {
    const hour = 3_600_000;
    const windows = watchWindows(0, 24 * hour, 5 * hour, 1000);
    expect(windows.candidate).toEqual({ fromMs: 5 * hour - WATCH_LOOKBACK_MS, toMs: 5 * hour });
    expect(windows.baseline).toEqual({ fromMs: -WATCH_LOOKBACK_MS, toMs: 0 });
  });

  it('rolls back as soon as the error rate jumps, before the window ends', () => {
    const decision = watchDecision(
      { candidate: stats(10, 3), baseline: stats(100, 0), settings, ended: false },
      now,
    );
    expect(decision).toMatchObject({ verdict: 'rollback', action: 'rollback', reason: 'error_rate_delta' });
    expect(decision?.observed).toMatchObject({ canaryErrorRate: 0.3, stableErrorRate: 0, failingCallers: 2 });
  });

  it('compares with the predecessor, not with zero', () => {
    expect(
      watchDecision({ candidate: stats(10, 5), baseline: stats(100, 40), settings, ended: true }, now),
    ).toMatchObject({ verdict: 'promote', action: 'promote', reason: 'healthy' });
  });

  it('waits quietly before the end, and records inconclusive at the end without acting', () => {
    const quiet = { candidate: stats(3, 0), baseline: stats(100, 0), settings };
    expect(watchDecision({ ...quiet, ended: false }, now)).toBeNull();
    expect(watchDecision({ ...quiet, ended: true }, now)).toMatchObject({
      verdict: 'inconclusive',
      reason: 'too_few_calls',
      action: 'promote',
    });
  });

  it('never rolls back on failures from a single caller', () => {
    const input = { candidate: stats(30, 30, 1), baseline: stats(100, 0), settings };
    expect(watchDecision({ ...input, ended: false }, now)).toBeNull();
    expect(watchDecision({ ...input, ended: true }, now)).toMatchObject({
      verdict: 'inconclusive',
      reason: 'failures_from_too_few_callers',
      action: 'promote',
    });
  });

  it('records a rollback verdict as soon as it is reached when observing, and keeps the version', () => {
    const input = {
      candidate: stats(10, 9),
      baseline: stats(100, 0),
      settings: { ...settings, observeOnly: true },
    };
    for (const ended of [false, true])
      expect(watchDecision({ ...input, ended }, now)).toMatchObject({
        verdict: 'rollback',
        action: 'promote',
      });
    expect(watchDecision({ ...input, candidate: stats(10, 0), ended: false }, now)).toBeNull();
  });
});
