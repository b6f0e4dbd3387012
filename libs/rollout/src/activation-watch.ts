import { type AnalysisSettings, type StepDecision, stepVerdict } from './rollout-verdict.js';
import { slotOf } from './traffic-accumulator.js';
import type { WindowStats } from './window-stats.js';

/** At most this far back is read per check: a long watch reads its latest stretch, not hours of slots. */
export const WATCH_LOOKBACK_MS = 10 * 60 * 1000;

export interface WatchWindows {
  /**
   * the new version since the switch (its latest WATCH_LOOKBACK_MS), up to now or the watch's end; from the
   * start of the slot the switch fell in, as a version that just went live has no earlier calls in that slot
   */
  candidate: { fromMs: number; toMs: number };
  /** the predecessor over as long before the switch (the baseline of every threshold) */
  baseline: { fromMs: number; toMs: number };
  /** the interval is over and every node's counts for it are in (one report slot later) */
  ended: boolean;
}

/** Pure: the windows a watch compares at `nowMs`. */
export function watchWindows(
  startMs: number,
  intervalMs: number,
  nowMs: number,
  slotMs: number,
): WatchWindows {
  const endMs = startMs + intervalMs;
  const toMs = Math.min(nowMs, endMs);
  const span = Math.min(intervalMs, WATCH_LOOKBACK_MS);
  return {
    candidate: { fromMs: Math.max(slotOf(startMs, slotMs) * slotMs, toMs - WATCH_LOOKBACK_MS), toMs },
    baseline: { fromMs: startMs - span, toMs: startMs },
    ended: nowMs >= endMs + slotMs,
  };
}

/**
 * Pure: what a watch decides now. Before its end only a rollback verdict is acted on (a bad version goes as soon as
 * the data says so; an observe-only watch records it and keeps the version); at the end every verdict is recorded, `inconclusive` (too few calls) included, and anything
 * but a rollback keeps the version (`promote`). Null: nothing to decide yet.
 */
export function watchDecision(
  input: { candidate: WindowStats; baseline: WindowStats; settings: AnalysisSettings; ended: boolean },
  now: Date,
): StepDecision | null {
  const decision = stepVerdict(
    {
      canary: input.candidate,
      stable: input.baseline,
      settings: input.settings,
      onInconclusive: 'promote',
      schedule: [100],
      step: 0,
      failures: 0,
    },
    now,
  );
  // observe-only turns a rollback into `promote`: the verdict is still recorded (and noted) when it is reached
  if (input.ended || decision.verdict === 'rollback') return decision;
  return null;
}
