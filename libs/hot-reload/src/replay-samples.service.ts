import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RedisService } from '@seed/persistence';

const MAX_SAMPLE_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 1000;

/**
 * A capped list per module of recent real inputs on which the active version succeeded. Candidates replay
 * them: a candidate must not fail where the active version did not. Inputs are gathered in memory and
 * written to Redis once a second, so sampling costs the invoke path a Map update, not a Redis round trip.
 * Losing the sample (Redis down, a node dying) loses a sample, never a submission.
 */
@Injectable()
export class ReplaySamples implements OnModuleInit, OnApplicationShutdown {
  private readonly pending = new Map<string, Set<string>>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  record(module: string, input: unknown): void {
    const size = this.config.pipeline.replaySample;
    if (size === 0) return;
    const json = JSON.stringify(input ?? null);
    if (json.length > MAX_SAMPLE_BYTES) return;
    const inputs = this.pending.get(module) ?? new Set<string>();
    // Most recent last; a repeated input moves to the end.
    inputs.delete(json);
    inputs.add(json);
    if (inputs.size > size) inputs.delete(inputs.values().next().value!);
    this.pending.set(module, inputs);
  }

  async sample(module: string): Promise<unknown[]> {
    const size = this.config.pipeline.replaySample;
    if (size === 0) return [];
    await this.flush(module);
    try {
      const items = await this.redis.client.lrange(this.key(module), 0, size - 1);
      return items.map((item) => JSON.parse(item) as unknown);
    } catch {
      return [];
    }
  }

  async forget(module: string): Promise<void> {
    this.pending.delete(module);
    await this.redis.client.del(this.key(module)).catch(() => undefined);
  }

  /** Writes the gathered inputs (of one module, or all) with one pipelined round trip. */
  async flush(only?: string): Promise<void> {
    const modules = only ? [only] : [...this.pending.keys()];
    const batch = this.redis.client.pipeline();
    let queued = 0;
    for (const module of modules) {
      const inputs = this.pending.get(module);
      if (!inputs?.size) continue;
      this.pending.delete(module);
      const key = this.key(module);
      for (const json of inputs) batch.lrem(key, 0, json).lpush(key, json);
      batch.ltrim(key, 0, this.config.pipeline.replaySample - 1);
      queued++;
    }
    if (queued) await batch.exec().catch(() => undefined);
  }

  private key(module: string): string {
    return this.redis.key('replay', module);
  }
}
