import { Injectable } from '@nestjs/common';
import { RedisService } from '@seed/persistence';
import { dayOf } from './decision.js';
import type { RecentError } from './prompt.js';

const DAY_MS = 24 * 3600 * 1000;
const ERRORS_TTL_MS = 7 * DAY_MS;

// Counts one improvement of the day unless the limit is reached; returns the new count, or -1 when refused.
const RESERVE_SCRIPT = `local n = tonumber(redis.call('get', KEYS[1]) or '0')
if tonumber(ARGV[1]) > 0 and n >= tonumber(ARGV[1]) then return -1 end
n = redis.call('incr', KEYS[1])
redis.call('pexpire', KEYS[1], ARGV[2])
return n`;

/**
 * The agent's seam to Redis: cluster-wide daily counts and the self-heal cooldown, recent runtime errors. Everything here is shared
 * by every node. Its PostgreSQL reads live in the code store.
 */
@Injectable()
export class AgentStore {
  constructor(private readonly redis: RedisService) {}

  /** Counts one improvement of `module` today (UTC); false when the daily limit is reached (0 = no limit). */
  async reserveDaily(module: string, limit: number, now: number): Promise<boolean> {
    const n = await this.redis.client.eval(RESERVE_SCRIPT, 1, this.dailyKey(module, now), limit, 2 * DAY_MS);
    return Number(n) >= 0;
  }

  async releaseDaily(module: string, now: number): Promise<void> {
    await this.redis.client.decr(this.dailyKey(module, now)).catch(() => undefined);
  }

  /** True for the first caller in the cluster within `ms`: the self-heal cooldown. */
  async claimCooldown(module: string, ms: number): Promise<boolean> {
    return (
      (await this.redis.client.set(this.redis.key('agent', 'cooldown', module), '1', 'PX', ms, 'NX')) === 'OK'
    );
  }

  /** Appends recent errors (newest last in each list) and keeps the newest `keep` per module. */
  async pushErrors(batch: ReadonlyMap<string, readonly RecentError[]>, keep: number): Promise<void> {
    if (!batch.size) return;
    const pipeline = this.redis.client.pipeline();
    for (const [module, errors] of batch) {
      const key = this.errorsKey(module);
      for (const error of errors) pipeline.lpush(key, JSON.stringify(error));
      pipeline.ltrim(key, 0, keep - 1).pexpire(key, ERRORS_TTL_MS);
    }
    await pipeline.exec();
  }

  /** The newest first. */
  async recentErrors(module: string, count: number): Promise<RecentError[]> {
    if (count <= 0) return [];
    const items = await this.redis.client.lrange(this.errorsKey(module), 0, count - 1);
    return items.flatMap((item) => {
      try {
        return [JSON.parse(item) as RecentError];
      } catch {
        return [];
      }
    });
  }

  async forgetErrors(module: string): Promise<void> {
    await this.redis.client.del(this.errorsKey(module)).catch(() => undefined);
  }

  private dailyKey(module: string, now: number): string {
    return this.redis.key('agent', 'daily', module, dayOf(now));
  }

  private errorsKey(module: string): string {
    return this.redis.key('agent', 'errors', module);
  }
}
