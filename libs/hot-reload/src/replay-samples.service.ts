import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RedisService } from '@seed/persistence';
import { mergeSample, type SampleEntry } from './replay-sample.js';

const MAX_SAMPLE_BYTES = 64 * 1024;
const FLUSH_INTERVAL_MS = 1000;

/**
 * A capped list per module of recent real inputs on which the active version succeeded, with who sent them.
 * Candidates replay them: a candidate must not fail where the active version did not. Each caller has at
 * most PIPELINE_REPLAY_PER_CALLER inputs in it, so no caller can fill the sample and shape the gate. Inputs
 * are gathered in memory and merged into Redis once a second, so sampling costs the invoke path a Map
 * update, not a Redis round trip. Losing the sample (Redis down, a node dying, two nodes merging at once)
 * loses a sample, never a submission.
 */
/** A replayable input, with the transcript of its capability calls when it made any. */
export interface ReplayInput {
  input: unknown;
  transcript?: unknown[];
}

@Injectable()
export class ReplaySamples implements OnModuleInit, OnApplicationShutdown {
  private readonly pending = new Map<string, SampleEntry[]>();
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

  /** `transcript`: the capability calls the invocation made and what they got (served back when it is replayed). */
  record(module: string, input: unknown, caller: string, transcript?: readonly unknown[]): void {
    const { replaySample: size, replayPerCaller } = this.config.pipeline;
    if (size === 0) return;
    const json = JSON.stringify(input ?? null);
    if (json.length > MAX_SAMPLE_BYTES) return;
    const entry: SampleEntry = transcript?.length
      ? { caller, json, transcript: JSON.stringify(transcript) }
      : { caller, json };
    // Newest first, at most `size` entries: the merge is cheap on lists this short.
    this.pending.set(module, mergeSample([entry], this.pending.get(module) ?? [], size, replayPerCaller));
  }

  async sample(module: string): Promise<ReplayInput[]> {
    if (this.config.pipeline.replaySample === 0) return [];
    await this.flush(module);
    try {
      return (await this.stored([module]))[0].map((entry) => ({
        input: JSON.parse(entry.json) as unknown,
        ...(entry.transcript ? { transcript: JSON.parse(entry.transcript) as unknown[] } : {}),
      }));
    } catch {
      return [];
    }
  }

  async forget(module: string): Promise<void> {
    this.pending.delete(module);
    await this.redis.client.del(this.key(module)).catch(() => undefined);
  }

  /** Merges the gathered inputs (of one module, or all) into the stored samples: one read, one write. */
  async flush(only?: string): Promise<void> {
    const modules = (only ? [only] : [...this.pending.keys()]).filter((m) => this.pending.get(m)?.length);
    if (!modules.length) return;
    const added = modules.map((m) => this.pending.get(m)!);
    for (const module of modules) this.pending.delete(module);
    const { replaySample: size, replayPerCaller } = this.config.pipeline;
    try {
      const stored = await this.stored(modules);
      const batch = this.redis.client.multi();
      modules.forEach((module, i) => {
        const merged = mergeSample(added[i], stored[i], size, replayPerCaller);
        const key = this.key(module);
        batch
          .del(key)
          .rpush(
            key,
            ...merged.map(
              (e) =>
                `{"caller":${JSON.stringify(e.caller)},"input":${e.json}${e.transcript ? `,"transcript":${e.transcript}` : ''}}`,
            ),
          );
      });
      await batch.exec();
    } catch {
      // a lost sample, never a lost call
    }
  }

  private async stored(modules: string[]): Promise<SampleEntry[][]> {
    const batch = this.redis.client.pipeline();
    for (const module of modules) batch.lrange(this.key(module), 0, -1);
    const results = (await batch.exec()) ?? [];
    return results.map(([error, items]) => (error ? [] : (items as string[]).flatMap(parseEntry)));
  }

  private key(module: string): string {
    return this.redis.key('replay', module);
  }
}

/** A stored entry is `{caller, input}`; anything else (an older format) is dropped. */
function parseEntry(item: string): SampleEntry[] {
  try {
    const entry = JSON.parse(item) as { caller?: unknown; input?: unknown; transcript?: unknown };
    if (typeof entry.caller !== 'string' || !('input' in entry)) return [];
    const transcript = Array.isArray(entry.transcript)
      ? { transcript: JSON.stringify(entry.transcript) }
      : {};
    return [{ caller: entry.caller, json: JSON.stringify(entry.input), ...transcript }];
  } catch {
    return [];
  }
}
