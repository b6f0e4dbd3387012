import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RedisService } from '@seed/persistence';

const MAX_SAMPLE_BYTES = 64 * 1024;

/**
 * A capped list per module of recent real inputs on which the active version succeeded. Candidates replay
 * them: a candidate must not fail where the active version did not. Kept in Redis: losing it loses a
 * sample, never a submission.
 */
@Injectable()
export class ReplaySamples {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {}

  /** Fire-and-forget on the invoke path: sampling must never slow or fail an invocation. */
  record(module: string, input: unknown): void {
    const size = this.config.pipeline.replaySample;
    if (size === 0) return;
    const json = JSON.stringify(input ?? null);
    if (json.length > MAX_SAMPLE_BYTES) return;
    const key = this.key(module);
    this.redis.client
      .multi()
      .lrem(key, 0, json)
      .lpush(key, json)
      .ltrim(key, 0, size - 1)
      .exec()
      .catch(() => undefined);
  }

  async sample(module: string): Promise<unknown[]> {
    const size = this.config.pipeline.replaySample;
    if (size === 0) return [];
    try {
      const items = await this.redis.client.lrange(this.key(module), 0, size - 1);
      return items.map((item) => JSON.parse(item) as unknown);
    } catch {
      return [];
    }
  }

  async forget(module: string): Promise<void> {
    await this.redis.client.del(this.key(module)).catch(() => undefined);
  }

  private key(module: string): string {
    return this.redis.key('replay', module);
  }
}
