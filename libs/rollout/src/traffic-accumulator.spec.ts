import { TrafficAccumulator, slotOf, slotsBetween } from './traffic-accumulator';
import { latencyBucket } from './window-stats';

describe('traffic slots', () => {
  it('aligns slots to the epoch, so every node agrees', () => {
    expect(slotOf(1999, 1000)).toBe(1);
    expect(slotOf(2000, 1000)).toBe(2);
  });

  it('reads a window from the first slot starting inside it to the one holding its end', () => {
    expect(slotsBetween(1000, 3000, 1000)).toEqual([1, 2]);
    expect(slotsBetween(1500, 3000, 1000)).toEqual([2]);
    expect(slotsBetween(1500, 3001, 1000)).toEqual([2, 3]);
    expect(slotsBetween(1500, 1900, 1000)).toEqual([]);
  });
});

describe('TrafficAccumulator', () => {
  it('counts calls, faults, distinct failing callers and latency per version and slot', () => {
    const acc = new TrafficAccumulator(1000);
    acc.record('m', 'v1', false, 'alice', 3, 1000);
    acc.record('m', 'v1', true, 'bob', 30, 1500);
    acc.record('m', 'v1', true, 'bob', 30, 1600);
    acc.record('m', 'v1', false, 'alice', 3, 2100);
    acc.record('m', 'v2', true, 'alice', 3, 1100);
    const drained = acc.drain();
    expect(drained).toHaveLength(3);
    const first = drained.find((c) => c.versionId === 'v1' && c.slot === 1)!;
    expect(first).toMatchObject({ calls: 3, faults: 2 });
    expect([...first.failingCallers]).toEqual(['bob']);
    expect(first.latency[latencyBucket(30)]).toBe(2);
    expect(acc.drain()).toEqual([]);
  });

  it('keeps counts a failed flush puts back, merged with newer ones', () => {
    const acc = new TrafficAccumulator(1000);
    acc.record('m', 'v1', true, 'a', 1, 1000);
    const drained = acc.drain();
    acc.record('m', 'v1', true, 'b', 1, 1200);
    acc.restore(drained);
    const [merged] = acc.drain();
    expect(merged).toMatchObject({ calls: 2, faults: 2 });
    expect(merged.failingCallers.size).toBe(2);
  });
});
