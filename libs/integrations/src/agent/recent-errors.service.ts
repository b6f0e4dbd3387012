import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { previewText, truncateUtf8, utf8Bytes } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { InvocationService, type InvocationOutcome } from '@seed/hot-reload';
import { AgentStore } from './agent.store.js';
import type { RecentError } from './prompt.js';

const MAX_INPUT_BYTES = 4096;
const PREVIEW_BYTES = 200;
const MAX_MESSAGE_BYTES = 1000;
const FLUSH_INTERVAL_MS = 1000;

/**
 * The last AGENT_RECENT_ERRORS failing calls of each module (input, error code and message), shown to the
 * model. Like the replay sample: gathered in memory on the invoke path, written to Redis once a second, so
 * every node's agent sees every node's failures and a failing call costs a Map update.
 */
@Injectable()
export class RecentErrors implements OnModuleInit, OnApplicationShutdown {
  private readonly pending = new Map<string, RecentError[]>();
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly invocations: InvocationService,
    private readonly store: AgentStore,
  ) {}

  private get keep(): number {
    return this.config.integrations.agent.recentErrors;
  }

  onModuleInit(): void {
    if (this.keep === 0) return;
    this.invocations.observe((outcome) => {
      if (outcome.error) this.record(outcome);
    });
    this.timer = setInterval(() => void this.flush().catch(() => undefined), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush().catch(() => undefined);
  }

  record(outcome: InvocationOutcome): void {
    if (!outcome.error || this.keep === 0) return;
    const json = JSON.stringify(outcome.input ?? null);
    const inputBytes = utf8Bytes(json);
    const error: RecentError = {
      versionId: outcome.versionId,
      ...(inputBytes <= MAX_INPUT_BYTES
        ? { input: outcome.input ?? null }
        : { inputPreview: truncateUtf8(json, PREVIEW_BYTES), inputBytes }),
      code: outcome.error.code,
      message: previewText(outcome.error.message, MAX_MESSAGE_BYTES),
      ...(outcome.error.line ? { line: outcome.error.line } : {}),
      at: new Date().toISOString(),
    };
    const list = this.pending.get(outcome.module) ?? [];
    list.push(error);
    if (list.length > this.keep) list.shift();
    this.pending.set(outcome.module, list);
  }

  /** The module's recent errors, newest first, across the cluster. */
  async list(module: string): Promise<RecentError[]> {
    if (this.keep === 0) return [];
    await this.flush(module).catch(() => undefined);
    return this.store.recentErrors(module, this.keep).catch(() => []);
  }

  async flush(only?: string): Promise<void> {
    const batch = new Map<string, RecentError[]>();
    for (const module of only ? [only] : [...this.pending.keys()]) {
      const errors = this.pending.get(module);
      if (!errors?.length) continue;
      this.pending.delete(module);
      batch.set(module, errors);
    }
    await this.store.pushErrors(batch, this.keep);
  }
}
