import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RedisService } from '@seed/persistence';
import type { SlotCounts } from './traffic-accumulator.js';
import { slotsBetween } from './traffic-accumulator.js';
import { LATENCY_BOUNDS_MS, type WindowStats, emptyStats, mergeStats } from './window-stats.js';

/** Counts are kept this long: enough for any step interval and the stats charts. */
const TTL_MS = 6 * 60 * 60 * 1000;

/**
 * Takes the analyser's lease, or renews it for its holder; answers the fencing token (a number that grows with
 * every new holder), or -1 when another node holds it.
 */
const ACQUIRE = `
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, '|', 1, true)
  if string.sub(v, 1, sep - 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(string.sub(v, sep + 1))
  end
  return -1
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token`;

/** Gives the lease up if this node still holds it, so a successor need not wait for it to expire. */
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then redis.call('DEL', KEYS[1]) end
return 0`;

export interface SlotStats extends WindowStats {
  slot: number;
  startMs: number;
}

/**
 * The Redis seam of rollouts: every node adds its per-slot counts (calls, module faults, the set of failing
 * callers, the latency histogram) per version; the analyser reads them back summed over a step's window, and
 * holds its lease here.
 */
@Injectable()
export class TrafficRepository {
  readonly slotMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: RedisService,
  ) {
    this.slotMs = config.rollout.reportIntervalMs;
  }

  async add(counts: readonly SlotCounts[]): Promise<void> {
    if (!counts.length) return;
    const multi = this.redis.client.multi();
    for (const c of counts) {
      const key = this.countsKey(c.module, c.versionId, c.slot);
      multi.hincrby(key, 'calls', c.calls);
      if (c.faults) multi.hincrby(key, 'faults', c.faults);
      c.latency.forEach((n, i) => n && multi.hincrby(key, `l${i}`, n));
      multi.pexpire(key, TTL_MS);
      if (c.failingCallers.size) {
        const callers = this.callersKey(c.module, c.versionId, c.slot);
        multi.sadd(callers, ...c.failingCallers);
        multi.pexpire(callers, TTL_MS);
      }
    }
    await multi.exec();
  }

  /** One version's counts per slot overlapping [fromMs, toMs), as the whole cluster reported them. */
  async slots(module: string, versionId: string, fromMs: number, toMs: number): Promise<SlotStats[]> {
    const slots = slotsBetween(fromMs, toMs, this.slotMs);
    const pipeline = this.redis.client.pipeline();
    for (const slot of slots) {
      pipeline.hgetall(this.countsKey(module, versionId, slot));
      pipeline.scard(this.callersKey(module, versionId, slot));
    }
    const replies = (await pipeline.exec()) ?? [];
    return slots.map((slot, i) => {
      const hash = (replies[2 * i]?.[1] ?? {}) as Record<string, string>;
      const stats = emptyStats();
      stats.calls = Number(hash.calls ?? 0);
      stats.faults = Number(hash.faults ?? 0);
      stats.failingCallers = Number(replies[2 * i + 1]?.[1] ?? 0);
      stats.latency = LATENCY_BOUNDS_MS.map((_, b) => Number(hash[`l${b}`] ?? 0));
      return { ...stats, slot, startMs: slot * this.slotMs };
    });
  }

  /** One version's counts summed over [fromMs, toMs); failing callers distinct over the whole window. */
  async window(module: string, versionId: string, fromMs: number, toMs: number): Promise<WindowStats> {
    const slots = slotsBetween(fromMs, toMs, this.slotMs);
    const [parts, callers] = await Promise.all([
      this.slots(module, versionId, fromMs, toMs),
      slots.length
        ? this.redis.client.sunion(...slots.map((s) => this.callersKey(module, versionId, s)))
        : [],
    ]);
    return mergeStats(parts, callers.length);
  }

  async acquireLease(node: string, ttlMs: number): Promise<number> {
    const token = await this.redis.client.eval(
      ACQUIRE,
      2,
      this.leaseKey(),
      this.fenceKey(),
      node,
      String(ttlMs),
    );
    return Number(token);
  }

  async releaseLease(node: string): Promise<void> {
    await this.redis.client.eval(RELEASE, 1, this.leaseKey(), node);
  }

  /** Which node analyses now, and its token (GET /cluster, tests). */
  async leaseHolder(): Promise<{ node: string; token: number } | null> {
    const value = await this.redis.client.get(this.leaseKey());
    if (!value) return null;
    const sep = value.lastIndexOf('|');
    return { node: value.slice(0, sep), token: Number(value.slice(sep + 1)) };
  }

  private countsKey(module: string, versionId: string, slot: number): string {
    return this.redis.key('rollout', 'counts', module, versionId, String(slot));
  }

  private callersKey(module: string, versionId: string, slot: number): string {
    return this.redis.key('rollout', 'callers', module, versionId, String(slot));
  }

  private leaseKey(): string {
    return this.redis.key('rollout', 'analyser');
  }

  private fenceKey(): string {
    return this.redis.key('rollout', 'fence');
  }
}
