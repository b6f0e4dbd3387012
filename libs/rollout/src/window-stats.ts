/**
 * Upper bounds (ms) of the latency histogram every node reports; fixed so counts from any node merge by adding.
 * The last bucket is open-ended.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  1000,
  2000,
  5000,
  10000,
  30000,
  Number.POSITIVE_INFINITY,
];

/** One version's counts over an interval, from one node or merged over the cluster. */
export interface WindowStats {
  calls: number;
  /** failures by the module's own fault; `InputError` and platform failures are not counted */
  faults: number;
  /** distinct callers (tokens) with at least one counted fault */
  failingCallers: number;
  /** call counts per LATENCY_BOUNDS_MS bucket */
  latency: number[];
}

export function emptyStats(): WindowStats {
  return { calls: 0, faults: 0, failingCallers: 0, latency: LATENCY_BOUNDS_MS.map(() => 0) };
}

/** Pure: the bucket a call's duration falls into. */
export function latencyBucket(ms: number): number {
  const index = LATENCY_BOUNDS_MS.findIndex((bound) => ms <= bound);
  return index === -1 ? LATENCY_BOUNDS_MS.length - 1 : index;
}

/**
 * Pure: sums counts. Failing callers are distinct per source, so their sum over-counts a caller seen on two
 * nodes: pass the size of the merged caller set when it is known (the cluster keeps the set itself).
 */
export function mergeStats(parts: readonly WindowStats[], failingCallers?: number): WindowStats {
  const total = emptyStats();
  for (const part of parts) {
    total.calls += part.calls;
    total.faults += part.faults;
    total.failingCallers += part.failingCallers;
    part.latency.forEach((count, i) => (total.latency[i] = (total.latency[i] ?? 0) + count));
  }
  if (failingCallers !== undefined) total.failingCallers = failingCallers;
  return total;
}

export function errorRate(stats: WindowStats): number {
  return stats.calls === 0 ? 0 : stats.faults / stats.calls;
}

/**
 * Pure: the q-quantile (0 < q ≤ 1) as the upper bound of the bucket holding it (ms); null without calls. The
 * open-ended bucket answers with the largest finite bound, so a ratio stays finite.
 */
export function percentile(stats: WindowStats, q: number): number | null {
  const total = stats.latency.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < stats.latency.length; i++) {
    seen += stats.latency[i];
    if (seen >= rank) return Math.min(LATENCY_BOUNDS_MS[i], LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 2]);
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 2];
}
