import { LATENCY_BOUNDS_MS, latencyBucket } from './window-stats.js';

/** One version's counts in one time slot on this node, before they are added to the cluster's in Redis. */
export interface SlotCounts {
  module: string;
  versionId: string;
  slot: number;
  calls: number;
  faults: number;
  latency: number[];
  failingCallers: Set<string>;
}

/** Pure: the slot (of `slotMs`, aligned to the epoch, so every node agrees) a moment falls into. */
export function slotOf(atMs: number, slotMs: number): number {
  return Math.floor(atMs / slotMs);
}

/**
 * Pure: the slots of a window [fromMs, toMs): from the first that starts at or after `fromMs` (a slot begun
 * earlier holds calls from before, e.g. at the previous step's weight) to the one holding `toMs - 1`.
 */
export function slotsBetween(fromMs: number, toMs: number, slotMs: number): number[] {
  const first = Math.ceil(fromMs / slotMs);
  const last = slotOf(toMs - 1, slotMs);
  return last < first ? [] : Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** This node's counts since the last drain: a few map operations per call, flushed to Redis in batches. */
export class TrafficAccumulator {
  private counts = new Map<string, SlotCounts>();

  constructor(private readonly slotMs: number) {}

  record(
    module: string,
    versionId: string,
    fault: boolean,
    caller: string,
    durationMs: number,
    atMs: number,
  ): void {
    const slot = slotOf(atMs, this.slotMs);
    const key = `${module}\u0000${versionId}\u0000${slot}`;
    let counts = this.counts.get(key);
    if (!counts) {
      counts = {
        module,
        versionId,
        slot,
        calls: 0,
        faults: 0,
        latency: LATENCY_BOUNDS_MS.map(() => 0),
        failingCallers: new Set(),
      };
      this.counts.set(key, counts);
    }
    counts.calls++;
    counts.latency[latencyBucket(durationMs)]++;
    if (fault) {
      counts.faults++;
      counts.failingCallers.add(caller);
    }
  }

  /** Everything counted so far, and a fresh start. */
  drain(): SlotCounts[] {
    const drained = [...this.counts.values()];
    this.counts = new Map();
    return drained;
  }

  /** Puts counts back after a failed flush, so a Redis blip loses nothing. */
  restore(counts: readonly SlotCounts[]): void {
    for (const c of counts) {
      const key = `${c.module}\u0000${c.versionId}\u0000${c.slot}`;
      const existing = this.counts.get(key);
      if (!existing) {
        this.counts.set(key, c);
        continue;
      }
      existing.calls += c.calls;
      existing.faults += c.faults;
      c.latency.forEach((n, i) => (existing.latency[i] += n));
      for (const caller of c.failingCallers) existing.failingCallers.add(caller);
    }
  }
}
