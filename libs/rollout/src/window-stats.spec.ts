import {
  LATENCY_BOUNDS_MS,
  emptyStats,
  errorRate,
  latencyBucket,
  mergeStats,
  percentile,
} from './window-stats';

function withLatencies(ms: number[]) {
  const stats = emptyStats();
  for (const m of ms) {
    stats.calls++;
    stats.latency[latencyBucket(m)]++;
  }
  return stats;
}

describe('window stats', () => {
  it('buckets durations by upper bound', () => {
    expect(latencyBucket(0.3)).toBe(0);
    expect(latencyBucket(1)).toBe(0);
    expect(latencyBucket(1.5)).toBe(1);
    expect(latencyBucket(10 ** 9)).toBe(LATENCY_BOUNDS_MS.length - 1);
  });

  it('reads p99 from the histogram, null without calls', () => {
    expect(percentile(emptyStats(), 0.99)).toBeNull();
    const stats = withLatencies([...Array(99).fill(3), 400]);
    expect(percentile(stats, 0.99)).toBe(5);
    expect(percentile(stats, 1)).toBe(500);
    expect(percentile(withLatencies([10 ** 9]), 0.99)).toBe(30000);
  });

  it('merges node counts by adding, failing callers from the merged set when given', () => {
    const a = { ...withLatencies([3, 3]), faults: 1, failingCallers: 1 };
    const b = { ...withLatencies([40]), faults: 1, failingCallers: 1 };
    expect(mergeStats([a, b])).toMatchObject({ calls: 3, faults: 2, failingCallers: 2 });
    expect(mergeStats([a, b], 1).failingCallers).toBe(1);
    expect(mergeStats([a, b]).latency[latencyBucket(3)]).toBe(2);
    expect(errorRate(mergeStats([a, b]))).toBeCloseTo(2 / 3);
    expect(errorRate(emptyStats())).toBe(0);
  });
});
