import { Inject, Injectable, Logger, BeforeApplicationShutdown, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { withTimeout } from '@seed/errors';
import { RedisService } from '@seed/persistence';
import { MetricsService } from '@seed/telemetry';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { type Job, Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  COUNTED_STATES,
  isJobProgress,
  type JobProgress,
  type JobState,
  type JobView,
  queueCounts,
  type QueueCounts,
  toJobState,
} from './job-view.js';
import { JOB_NAMES, jobOptions, QUEUE_NAMES, type QueueName, workerSettings } from './queues.js';

/** A job as its handler sees it: no BullMQ type crosses the seam. */
export interface JobRun<D> {
  readonly id: string;
  readonly data: D;
  /** When the job was first added (epoch ms): budgets count from here across retries. */
  readonly createdAt: number;
  /** The progress saved by an earlier attempt, so a retried job can resume. */
  readonly savedProgress: JobProgress | null;
  /** True when a thrown error will not be retried. */
  readonly finalAttempt: boolean;
  /** Aborted when this node shuts down a queue whose jobs are resumed elsewhere. */
  readonly signal: AbortSignal;
  reportProgress(progress: JobProgress): Promise<void>;
}

export type JobHandler<D, R> = (run: JobRun<D>) => Promise<R>;

/** Thrown by a handler for a failure no retry can fix: the job fails at once. */
export class PermanentJobFailure extends Error {}

export type JobOutcome = 'completed' | 'failed' | 'missing' | 'timeout';

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE']);

interface Waiter {
  id: string;
  resolve(outcome: JobOutcome): void;
}

/**
 * The one seam for BullMQ (immich's job.repository): queues, job options, job views, workers built from
 * config, completion waits over QueueEvents, and the bounded shutdown in order — pause workers, close them
 * within SHUTDOWN_TIMEOUT/2 (then force), then queue events, queues and finally the connections.
 */
@Injectable()
export class JobsRepository implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  private readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers = new Map<QueueName, { worker: Worker; abort: AbortController }>();
  private readonly events = new Map<QueueName, Promise<QueueEvents>>();
  private readonly waiters = new Map<QueueName, Set<Waiter>>();
  private readonly connections: Redis[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly metrics: MetricsService,
  ) {
    // Workers block on Redis: BullMQ requires maxRetriesPerRequest null on every connection it uses.
    this.connection = this.connect('jobs');
    for (const name of QUEUE_NAMES) {
      const queue = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Without a listener BullMQ prints every connection error; RedisService logs those once.
      queue.on('error', (error) => this.unlessConnectionError(`${name} queue`, error));
      this.queues.set(name, queue);
    }
  }

  /** The queues as bull-board reads them, read-only: the console's queue view never changes a job. */
  boardQueues(): BaseAdapter[] {
    return [...this.queues.values()].map((queue) => new BullMQAdapter(queue, { readOnlyMode: true }));
  }

  /**
   * Adds a job (a second add with the same id is a no-op), bounded so a down Redis cannot hang the caller.
   * `delayMs`: the job waits that long before a worker may take it (a crash record of work done elsewhere).
   */
  async add<D extends object>(queue: QueueName, id: string, data: D, delayMs?: number): Promise<void> {
    const options = { ...jobOptions(this.config, queue), jobId: id, ...(delayMs ? { delay: delayMs } : {}) };
    await withTimeout(
      `Redis (adding job ${id})`,
      this.config.pipeline.enqueueTimeoutMs,
      this.queue(queue).add(JOB_NAMES[queue], data, options),
    );
  }

  /** Pushes a delayed job's start `delayMs` from now (a crash record whose work is still going on). */
  async postpone(queue: QueueName, id: string, delayMs: number): Promise<void> {
    const job = await this.queue(queue).getJob(id);
    if (job && (await job.isDelayed())) await job.changeDelay(delayMs);
  }

  /** Removes a job that is not running (a crash record whose work is done); one script. */
  async remove(queue: QueueName, id: string): Promise<void> {
    await this.queue(queue).remove(id);
  }

  /** The job as one consistent read (state and result agree), or null when Redis has no such job. */
  async view<D, R>(queue: QueueName, id: string): Promise<JobView<D, R> | null> {
    let job = (await this.queue(queue).getJob(id)) as Job<D, R> | undefined;
    if (!job) return null;
    const state = toJobState(await job.getState());
    // The job may have finished between the two reads: read it again so state and result agree.
    if (state === 'completed' || state === 'failed') job = (await this.queue(queue).getJob(id)) ?? job;
    const progressData = isJobProgress(job.progress) ? job.progress : null;
    return {
      id,
      state,
      stage: progressData?.stage ?? null,
      progress: progressData?.percent ?? 0,
      progressData,
      attempts: job.attemptsMade,
      data: job.data,
      result: job.returnvalue ?? null,
      failedReason: job.failedReason ?? null,
      createdAt: job.timestamp,
    };
  }

  async state(queue: QueueName, id: string): Promise<JobState | 'missing'> {
    const job = await this.queue(queue).getJob(id);
    return job ? toJobState(await job.getState()) : 'missing';
  }

  /**
   * Runs a job again, whatever Redis kept of it: added when missing (Redis lost it), retried with its
   * attempts reset when it failed or completed, removed and added again when only its hash is left.
   * Waiting, delayed and active jobs are left alone. True when it was queued again.
   */
  async requeue<D extends object>(queue: QueueName, id: string, data: D): Promise<boolean> {
    const job = (await this.queue(queue).getJob(id)) as Job<D> | undefined;
    const state = job ? toJobState(await job.getState()) : 'missing';
    if (state === 'failed' || state === 'completed') {
      await job!.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    }
    if (state !== 'missing' && state !== 'unknown') return false;
    // A second add with the id of a job whose hash survived is a no-op: remove what is left first.
    await job?.remove();
    await this.add(queue, id, data);
    return true;
  }

  /** Jobs per state (GET /queues); completed and failed are what retention kept. */
  async counts(queue: QueueName): Promise<QueueCounts> {
    return queueCounts(await this.queue(queue).getJobCounts(...COUNTED_STATES));
  }

  /** Jobs not finished yet: what an operator means by "queue depth". */
  async depth(queue: QueueName): Promise<number> {
    return (await this.counts(queue)).depth;
  }

  /**
   * Resolves when the job completes or fails (QueueEvents, no polling), when it does not exist, or after
   * `timeoutMs`. Failure here is a delivery's: a failed job may still be retried by the sweeper.
   */
  async waitForJob(
    queue: QueueName,
    id: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<JobOutcome> {
    const started = Date.now();
    const ready = await withTimeout('Redis (queue events)', timeoutMs, this.queueEvents(queue)).catch(
      () => null,
    );
    if (!ready) return 'timeout';
    timeoutMs -= Date.now() - started;
    return new Promise<JobOutcome>((resolve) => {
      const waiters = this.waiters.get(queue)!;
      const waiter: Waiter = {
        id,
        resolve: (outcome) => {
          if (!waiters.delete(waiter)) return;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      const onAbort = (): void => waiter.resolve('timeout');
      waiters.add(waiter);
      const timer = setTimeout(() => waiter.resolve('timeout'), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      // Subscribed first, then read: a job that finished before we listened is not missed.
      this.state(queue, id).then(
        (state) => {
          if (state === 'completed' || state === 'failed' || state === 'missing') waiter.resolve(state);
        },
        () => undefined, // Redis down: the timeout answers
      );
    });
  }

  /** Starts this node's worker for a queue, with concurrency, lock and stall timings from config. */
  work<D, R>(queue: QueueName, handler: JobHandler<D, R>): void {
    if (this.workers.has(queue)) throw new Error(`a worker for ${queue} is already running`);
    const settings = workerSettings(this.config, queue);
    const abort = new AbortController();
    const worker = new Worker<D, R>(
      queue,
      async (job) => {
        try {
          return await handler({
            id: job.id!,
            data: job.data,
            createdAt: job.timestamp,
            savedProgress: isJobProgress(job.progress) ? job.progress : null,
            finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
            signal: abort.signal,
            reportProgress: (progress) => job.updateProgress(progress),
          });
        } catch (error) {
          if (error instanceof PermanentJobFailure) throw new UnrecoverableError(error.message);
          throw error;
        }
      },
      {
        connection: this.connect(`worker:${queue}`),
        prefix: this.prefix,
        concurrency: settings.concurrency,
        lockDuration: settings.lockDurationMs,
        lockRenewTime: Math.floor(settings.lockDurationMs / 2),
        stalledInterval: settings.stalledIntervalMs,
        autorun: false,
      },
    );
    worker.on('failed', (job, error) =>
      this.logger.warn(`${queue} job ${job?.id} attempt ${job?.attemptsMade} failed: ${error.message}`),
    );
    // This node found a job whose lock expired (its worker died or hung): BullMQ moves it back to the queue.
    worker.on('stalled', (jobId) => {
      if (queue === 'pipeline') this.metrics.stalledJobs.inc();
      this.logger.warn(`${queue} job ${jobId} stalled (its worker lost the lock): moved back to the queue`);
    });
    worker.on('error', (error) => this.unlessConnectionError(`${queue} worker`, error));
    this.workers.set(queue, { worker, abort });
    worker.run().catch((error: Error) => this.logger.error(`${queue} worker stopped: ${error.message}`));
  }

  /** Pause taking jobs, abort the resumable ones, give the rest SHUTDOWN_TIMEOUT/2 before closing hard. */
  async beforeApplicationShutdown(): Promise<void> {
    const bound = Math.floor(this.config.shutdownTimeoutMs / 2);
    await Promise.all(
      [...this.workers].map(async ([queue, { worker, abort }]) => {
        await worker.pause(true).catch(() => undefined);
        if (workerSettings(this.config, queue).abortOnShutdown) abort.abort(new Error('shutting down'));
        try {
          await withTimeout(`${queue} worker close`, bound, worker.close());
        } catch {
          this.logger.warn(`${queue} jobs still running after ${bound} ms: closing; they will be retried`);
          await worker.close(true).catch(() => undefined);
        }
      }),
    );
    this.workers.clear();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const waiters of this.waiters.values()) for (const w of [...waiters]) w.resolve('timeout');
    const events = await Promise.all([...this.events.values()].map((e) => e.catch(() => null)));
    await Promise.allSettled(events.map((e) => e?.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await Promise.allSettled(this.connections.map((c) => c.quit()));
  }

  private unlessConnectionError(what: string, error: Error): void {
    const code = (error as { code?: string }).code ?? '';
    if (CONNECTION_ERRORS.has(code) || /connection is closed/i.test(error.message)) return;
    this.logger.warn(`${what}: ${error.message}`);
  }

  private queue(name: QueueName): Queue {
    return this.queues.get(name)!;
  }

  private get prefix(): string {
    return this.redis.key('bull');
  }

  private connect(name: string): Redis {
    const connection = this.redis.connect(name, { maxRetriesPerRequest: null });
    this.connections.push(connection);
    return connection;
  }

  private queueEvents(queue: QueueName): Promise<QueueEvents> {
    let events = this.events.get(queue);
    if (!events) {
      const waiters = new Set<Waiter>();
      this.waiters.set(queue, waiters);
      const queueEvents = new QueueEvents(queue, {
        connection: this.connect(`events:${queue}`),
        prefix: this.prefix,
      });
      const settle = (outcome: JobOutcome) => (event: { jobId: string }) => {
        for (const waiter of [...waiters]) if (waiter.id === event.jobId) waiter.resolve(outcome);
      };
      queueEvents.on('completed', settle('completed'));
      queueEvents.on('failed', settle('failed'));
      queueEvents.on('error', (error) => this.unlessConnectionError(`${queue} events`, error));
      events = queueEvents.waitUntilReady().then(() => queueEvents);
      this.events.set(queue, events);
    }
    return events;
  }
}
