import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { ModuleEntity, ModuleVersionEntity } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { withTimeout } from '@seed/errors';
import { JobsRepository } from '@seed/jobs';
import type { PipelineStage } from '@seed/telemetry';
import { PipelineService } from './pipeline.service.js';
import type { PipelineJobData } from './pipeline.worker.js';

interface LocalRun {
  done: Promise<void>;
  stage: PipelineStage | 'done';
  percent: number;
}

/**
 * Runs a submission's pipeline on the node that received it, with the rows it has just written: no queue
 * pickup, no re-read. Its job is added delayed by PIPELINE_LOCK_DURATION as a crash record (postponed while the
 * run lasts, removed once it ends): if this node dies, a worker elsewhere runs it; an infrastructure error here
 * leaves it to that worker too, with the queue's retries.
 */
@Injectable()
export class LocalRuns implements BeforeApplicationShutdown {
  private readonly logger = new Logger('LocalRuns');
  private readonly runs = new Map<string, LocalRun>();
  private closing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly jobs: JobsRepository,
    private readonly pipeline: PipelineService,
  ) {}

  /** Starts the run here when local runs are on and a slot is free; false leaves it to the queue. */
  async start(module: ModuleEntity, version: ModuleVersionEntity): Promise<boolean> {
    const { localRun, concurrency, lockDurationMs } = this.config.pipeline;
    if (!localRun || this.closing || this.runs.size >= concurrency) return false;
    const data: PipelineJobData = { versionId: version.id, module: module.name };
    let recorded!: () => void;
    const record = new Promise<void>((resolve) => (recorded = resolve));
    const run: LocalRun = { done: Promise.resolve(), stage: 'pipeline', percent: 0 };
    // a waiter that comes while the record is written waits for the run, not for nothing
    run.done = record.then(() => this.run(module, version, run));
    this.runs.set(version.id, run);
    try {
      await this.jobs.add('pipeline', version.id, data, lockDurationMs);
    } catch (error) {
      // The row is in PostgreSQL: the sweeper records it again if this run does not finish.
      this.logger.warn(`crash record of ${version.id} not written: ${(error as Error).message}`);
    }
    recorded();
    return true;
  }

  /** This node's view of a run it carries (GET /jobs/:id), or undefined. */
  view(versionId: string): { stage: PipelineStage | 'done'; percent: number } | undefined {
    const run = this.runs.get(versionId);
    return run && { stage: run.stage, percent: run.percent };
  }

  /** Waits up to `ms` for a run this node carries; false at once when it carries none. */
  async wait(versionId: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    const run = this.runs.get(versionId);
    if (!run) return false;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    await Promise.race([
      run.done,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
        onAbort = resolve;
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    return true;
  }

  /** Runs under way finish (bounded by half the shutdown timeout); the crash records cover the rest. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    const bound = Math.floor(this.config.shutdownTimeoutMs / 2);
    const all = Promise.all([...this.runs.values()].map((r) => r.done));
    await withTimeout('local pipeline runs', bound, all).catch(() =>
      this.logger.warn(`local pipeline runs still going after ${bound} ms: their jobs will run them`),
    );
  }

  private async run(module: ModuleEntity, version: ModuleVersionEntity, run: LocalRun): Promise<void> {
    const { lockDurationMs } = this.config.pipeline;
    const renew = setInterval(
      () => void this.jobs.postpone('pipeline', version.id, lockDurationMs).catch(() => undefined),
      Math.floor(lockDurationMs / 2),
    );
    renew.unref();
    try {
      await this.pipeline.evaluate(
        version.id,
        {
          // not final: the crash record retries an infrastructure error
          finalAttempt: false,
          progress: async (stage, percent) => {
            run.stage = stage;
            run.percent = percent;
          },
        },
        { version, module },
      );
      await this.jobs
        .remove('pipeline', version.id)
        .catch((error: Error) => this.logger.warn(`crash record of ${version.id} kept: ${error.message}`));
    } catch (error) {
      this.logger.warn(`local run of ${version.id} failed, left to its job: ${(error as Error).message}`);
    } finally {
      clearInterval(renew);
      this.runs.delete(version.id);
    }
  }
}
