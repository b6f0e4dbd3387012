import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  AuthorRole,
  CodeStoreRepository,
  ModuleSettings,
  ModuleVersionEntity,
  NewTestCase,
} from '@seed/code-store';
import { EventStream } from '@seed/cluster';
import { APP_CONFIG, AppConfig } from '@seed/config';
import type { JobsOptions, Queue } from 'bullmq';
import { HotReloadError } from './hot-reload.errors.js';
import { IMPROVEMENTS_QUEUE } from './improvement-queue.module.js';
import type { ImprovementJobData, ImprovementResult, JobProgress } from './improvement.processor.js';

const ENQUEUE_TIMEOUT_MS = 3000;

export interface Candidate {
  source: string;
  /** `role:name`, shown as is. */
  author: string;
  authorRole: AuthorRole;
  rationale?: string;
  parentVersionId?: string;
  activate: boolean;
  dryRun: boolean;
  idempotencyKey?: string;
}

export interface Submission {
  versionId: string;
  jobId: string;
  seq: number;
  /** True when an Idempotency-Key matched an earlier submission, which is returned instead. */
  replayed: boolean;
}

export interface JobView {
  id: string;
  state: string;
  stage: string | null;
  progress: number;
  attempts: number;
  result: ImprovementResult | null;
  failedReason: string | null;
}

/**
 * Submissions are written to PostgreSQL first and enqueued second (jobId = version id, so enqueueing
 * twice is harmless). A sweeper re-enqueues rows whose job was lost, e.g. with Redis.
 */
@Injectable()
export class SubmissionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Submissions');
  private sweeper?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    @InjectQueue(IMPROVEMENTS_QUEUE) private readonly queue: Queue<ImprovementJobData, ImprovementResult>,
    private readonly events: EventStream,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(
      () => void this.sweep().catch((e: Error) => this.logger.warn(`sweep failed: ${e.message}`)),
      this.config.pipeline.sweepIntervalMs,
    );
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  async createModule(
    name: string,
    source: string,
    tests: NewTestCase[],
    settings: ModuleSettings,
    author: string,
    authorRole: AuthorRole,
  ): Promise<Submission> {
    const { version } = await this.store.createModule(
      name,
      settings,
      tests,
      { parentId: null, source, author, authorRole, activateRequested: true, dryRun: false },
      author,
    );
    this.events.publish({ type: 'version.submitted', module: name, versionId: version.id, seq: version.seq });
    await this.enqueue(name, version.id);
    return { versionId: version.id, jobId: version.id, seq: version.seq, replayed: false };
  }

  async submit(moduleName: string, candidate: Candidate): Promise<Submission> {
    const module = await this.store.getModule(moduleName);
    if (candidate.idempotencyKey) {
      const earlier = await this.store.findVersionByIdempotencyKey(module.id, candidate.idempotencyKey);
      if (earlier) return this.replayed(earlier);
    }
    const parentId = candidate.parentVersionId ?? module.activeVersionId;
    if (candidate.parentVersionId) await this.store.getVersion(module.id, candidate.parentVersionId);
    let version: ModuleVersionEntity;
    try {
      version = await this.store.addVersion(module.id, {
        parentId,
        source: candidate.source,
        author: candidate.author,
        authorRole: candidate.authorRole,
        rationale: candidate.rationale,
        activateRequested: candidate.activate,
        dryRun: candidate.dryRun,
        idempotencyKey: candidate.idempotencyKey,
      });
    } catch (error) {
      // Two requests with the same key raced: the loser answers with the winner's submission.
      const earlier = candidate.idempotencyKey
        ? await this.store.findVersionByIdempotencyKey(module.id, candidate.idempotencyKey)
        : null;
      if (earlier) return this.replayed(earlier);
      throw error;
    }
    this.events.publish({
      type: 'version.submitted',
      module: moduleName,
      versionId: version.id,
      seq: version.seq,
    });
    await this.enqueue(moduleName, version.id);
    return { versionId: version.id, jobId: version.id, seq: version.seq, replayed: false };
  }

  async job(id: string): Promise<JobView> {
    let job = await this.queue.getJob(id);
    const state = job ? await job.getState() : undefined;
    // The job may have finished between the two reads: read it again so state and result agree.
    if (job && (state === 'completed' || state === 'failed')) job = (await this.queue.getJob(id)) ?? job;
    if (job) {
      const progress = (job.progress ?? {}) as Partial<JobProgress>;
      return {
        id,
        state: state ?? 'unknown',
        stage: progress.stage ?? null,
        progress: progress.percent ?? 0,
        attempts: job.attemptsMade,
        result: job.returnvalue ?? null,
        failedReason: job.failedReason ?? null,
      };
    }
    // Finished jobs are pruned from Redis; the version row still tells the outcome.
    const version = await this.store.findVersion(id);
    if (!version) throw new HotReloadError('job_not_found', `job ${id} does not exist`);
    const finished = !['queued', 'compiling', 'testing'].includes(version.status);
    return {
      id,
      state: finished ? 'completed' : 'waiting',
      stage: finished ? 'done' : null,
      progress: finished ? 100 : 0,
      attempts: 0,
      result: finished
        ? { versionId: id, status: version.status, activated: version.status === 'active' }
        : null,
      failedReason: null,
    };
  }

  /** Re-enqueues unfinished submissions whose job is gone or has given up. Safe on every node at once. */
  async sweep(): Promise<number> {
    const cutoff = new Date(Date.now() - this.config.pipeline.sweepIntervalMs);
    let requeued = 0;
    for (const version of await this.store.queuedBefore(cutoff)) {
      const job = await this.queue.getJob(version.id);
      const state = job ? await job.getState() : 'missing';
      if (state === 'missing' || state === 'unknown') {
        const module = await this.store.getModuleById(version.moduleId).catch(() => null);
        if (!module) continue;
        await this.enqueue(module.name, version.id);
        requeued++;
      } else if (state === 'failed') {
        await job!.retry('failed');
        requeued++;
      }
    }
    if (requeued) this.logger.log(`re-enqueued ${requeued} orphaned submission(s)`);
    return requeued;
  }

  private async enqueue(module: string, versionId: string): Promise<void> {
    const options: JobsOptions = {
      jobId: versionId,
      attempts: this.config.pipeline.attempts,
      backoff: { type: 'exponential', delay: this.config.pipeline.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      // With Redis down BullMQ would wait for it forever; the submission must answer anyway.
      await Promise.race([
        this.queue.add('improve', { versionId, module }, options),
        new Promise(
          (_, reject) =>
            (timer = setTimeout(() => reject(new Error('Redis did not answer')), ENQUEUE_TIMEOUT_MS)),
        ),
      ]);
    } catch (error) {
      // The row is in PostgreSQL: the sweeper will enqueue it once Redis is back.
      this.logger.warn(`enqueue of ${versionId} deferred to the sweeper: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private replayed(version: ModuleVersionEntity): Submission {
    return { versionId: version.id, jobId: version.id, seq: version.seq, replayed: true };
  }
}
