import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { EventStream } from '@seed/cluster';
import {
  ArtifactCache,
  CodeStoreRepository,
  Diagnostic,
  ModuleEntity,
  ModuleVersionEntity,
  sha256,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { compileModule, IsolatePool, LoadedVersion, ModuleLoadError } from '@seed/runtime';
import { EVENTS, emit, MetricsService, PipelineStage } from '@seed/telemetry';
import type { Job } from 'bullmq';
import { ActivationService } from './activation.service.js';
import { testCandidate } from './candidate-tester.js';
import { activationDecision, failureDiagnostics, summarise, validateSource } from './gates.js';
import { IMPROVEMENTS_QUEUE } from './improvement-queue.module.js';
import { effectiveLimits } from './limits.js';
import { ReplaySamples } from './replay-samples.service.js';

export interface ImprovementJobData {
  versionId: string;
  module: string;
}

export interface ImprovementResult {
  versionId: string;
  status: ModuleVersionEntity['status'];
  activated: boolean;
  diagnostics?: Diagnostic[];
}

export interface JobProgress {
  stage: PipelineStage | 'done';
  percent: number;
}

const FINISHED = new Set(['active', 'retired', 'rejected', 'superseded']);
const PROGRESS: Record<PipelineStage | 'done', number> = {
  compile: 10,
  validate: 30,
  test: 50,
  store: 80,
  activate: 90,
  pipeline: 0,
  done: 100,
};

class Rejection extends Error {
  constructor(
    readonly stage: PipelineStage,
    readonly diagnostics: Diagnostic[],
  ) {
    super(diagnostics.map((d) => d.message).join('; '));
  }
}

/**
 * compile → validate → test → store → activate. BullMQ delivers at least once, so every stage can run
 * again and find its own work done. Deterministic rejections complete the job with status `rejected`
 * (never retried); infrastructure errors throw, and BullMQ retries them with backoff.
 */
// autorun off: the worker starts after boot, with limits from config (decorator options are static).
@Processor(IMPROVEMENTS_QUEUE, { autorun: false })
export class ImprovementProcessor
  extends WorkerHost
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Pipeline');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly artifacts: ArtifactCache,
    private readonly replay: ReplaySamples,
    private readonly activation: ActivationService,
    private readonly metrics: MetricsService,
    private readonly pool: IsolatePool,
    private readonly events: EventStream,
  ) {
    super();
  }

  async process(job: Job<ImprovementJobData>): Promise<ImprovementResult> {
    const started = performance.now();
    const version = await this.store.findVersion(job.data.versionId);
    if (!version) return { versionId: job.data.versionId, status: 'rejected', activated: false };
    if (FINISHED.has(version.status))
      return { versionId: version.id, status: version.status, activated: version.status === 'active' };
    const module = await this.store.getModuleById(version.moduleId);
    // A re-delivered job whose version is already stored only needs its activation decided again.
    if (version.status === 'ready') return this.maybeActivate(module, version);
    const base = { module: module.name, versionId: version.id };
    emit(EVENTS.hotReloadStart, { ...base, stage: 'pipeline' });
    let candidate: LoadedVersion | undefined;
    try {
      const compiled = await this.stage(job, module, version, 'compile', () => this.compile(version));
      await this.stage(job, module, version, 'validate', async () => {
        const problems = validateSource(version.source, this.config.pipeline.maxSourceBytes);
        if (problems.length) throw new Rejection('validate', problems);
      });
      candidate = await this.stage(job, module, version, 'test', () => this.test(module, version, compiled));
      await this.stage(job, module, version, 'store', () => this.storeArtifact(version, compiled));
      const result = await this.stage(job, module, version, 'activate', () =>
        this.maybeActivate(module, version, candidate!),
      );
      candidate = undefined; // handed over or disposed by maybeActivate
      await job.updateProgress({ stage: 'done', percent: 100 } satisfies JobProgress);
      this.finish(base, started, 'ok', result.status);
      return result;
    } catch (error) {
      candidate?.dispose();
      if (error instanceof Rejection) {
        await this.store.updateVersion(version.id, { status: 'rejected', diagnostics: error.diagnostics });
        await job.updateProgress({ stage: 'done', percent: 100 } satisfies JobProgress);
        emit(EVENTS.hotReloadError, {
          ...base,
          stage: error.stage,
          code: 'rejected',
          message: error.message,
          final: true,
        });
        this.events.publish({
          type: 'version.rejected',
          ...base,
          stage: error.stage,
          diagnostics: error.diagnostics.slice(0, 3),
        });
        this.finish(base, started, 'rejected', 'rejected');
        return {
          versionId: version.id,
          status: 'rejected',
          activated: false,
          diagnostics: error.diagnostics,
        };
      }
      const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      emit(EVENTS.hotReloadError, {
        ...base,
        stage: 'pipeline',
        code: 'infrastructure',
        message: (error as Error).message,
        final,
      });
      this.finish(base, started, 'error', 'error');
      throw error;
    }
  }

  onApplicationBootstrap(): void {
    const { concurrency, lockDurationMs, stalledIntervalMs } = this.config.pipeline;
    // Worker options come from a static decorator; apply config before run(). The lock manager copies its
    // timings at construction (a protected hook BullMQ documents for subclasses), so rebuild it.
    Object.assign(this.worker.opts, {
      lockDuration: lockDurationMs,
      lockRenewTime: Math.floor(lockDurationMs / 2),
      stalledInterval: stalledIntervalMs,
    });
    (this.worker as unknown as { createLockManager(): void }).createLockManager();
    this.worker.concurrency = concurrency;
    this.worker.run().catch((error: Error) => this.logger.error(`worker stopped: ${error.message}`));
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<ImprovementJobData> | undefined, error: Error): void {
    this.logger.warn(`job ${job?.id} attempt ${job?.attemptsMade} failed: ${error.message}`);
  }

  /** This node's worker found a job whose lock expired (its worker died or hung): BullMQ retries it. */
  @OnWorkerEvent('stalled')
  onStalled(jobId: string): void {
    this.metrics.stalledJobs.inc();
    this.logger.warn(`job ${jobId} stalled (its worker lost the lock): moved back to the queue`);
  }

  /** Pause taking jobs, then give the running ones SHUTDOWN_TIMEOUT/2 before closing hard. */
  async beforeApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    const bound = Math.floor(this.config.shutdownTimeoutMs / 2);
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      worker.close().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), bound))),
    ]);
    clearTimeout(timer);
    if (!closed) {
      this.logger.warn(`jobs still running after ${bound} ms: closing the worker; they will be retried`);
      await worker.close(true);
    }
  }

  private async stage<T>(
    job: Job<ImprovementJobData>,
    module: ModuleEntity,
    version: ModuleVersionEntity,
    stage: PipelineStage,
    work: () => Promise<T>,
  ): Promise<T> {
    await job.updateProgress({ stage, percent: PROGRESS[stage] } satisfies JobProgress);
    const base = { module: module.name, versionId: version.id, stage };
    emit(EVENTS.hotReloadStart, base);
    this.events.publish({ type: 'version.stage', module: module.name, versionId: version.id, stage });
    const started = performance.now();
    try {
      const result = await work();
      emit(EVENTS.hotReloadSuccess, base);
      emit(EVENTS.hotReloadDuration, {
        ...base,
        seconds: (performance.now() - started) / 1000,
        result: 'ok',
      });
      return result;
    } catch (error) {
      const result = error instanceof Rejection ? 'rejected' : 'error';
      emit(EVENTS.hotReloadDuration, { ...base, seconds: (performance.now() - started) / 1000, result });
      throw error;
    }
  }

  private async compile(version: ModuleVersionEntity): Promise<string> {
    if (version.compiled && version.sha256 === sha256(version.compiled)) return version.compiled;
    await this.store.updateVersion(version.id, { status: 'compiling' });
    const result = await compileModule(version.source);
    if (!result.ok) {
      throw new Rejection(
        'compile',
        result.diagnostics.map((d) => ({
          stage: 'compile' as const,
          message: d.message,
          line: d.line,
          column: d.column,
        })),
      );
    }
    const hash = sha256(result.code);
    await this.store.updateVersion(version.id, { status: 'testing', compiled: result.code, sha256: hash });
    version.compiled = result.code;
    version.sha256 = hash;
    return result.code;
  }

  private async test(
    module: ModuleEntity,
    version: ModuleVersionEntity,
    code: string,
  ): Promise<LoadedVersion> {
    const limits = effectiveLimits(this.config.sandbox, module.settings);
    let candidate: LoadedVersion;
    try {
      candidate = await LoadedVersion.load({
        module: module.name,
        versionId: version.id,
        code,
        limits,
        pool: this.pool,
      });
    } catch (error) {
      if (!(error instanceof ModuleLoadError)) throw error;
      throw new Rejection('validate', [
        {
          stage: 'validate',
          message: `${error.code}: ${error.message}`,
          line: error.line,
          column: error.column,
        },
      ]);
    }
    try {
      const [cases, replayInputs] = await Promise.all([
        this.store.listTests(module.id),
        this.replay.sample(module.name),
      ]);
      const { report, score } = summarise(await testCandidate(candidate, cases, replayInputs));
      await this.store.updateVersion(version.id, { testReport: report, score });
      if (report.failed > 0) throw new Rejection('test', failureDiagnostics(report));
      return candidate;
    } catch (error) {
      candidate.dispose();
      throw error;
    }
  }

  private async storeArtifact(version: ModuleVersionEntity, code: string): Promise<void> {
    await this.artifacts.write(version.sha256!, code);
    await this.store.updateVersion(version.id, { status: 'ready', diagnostics: null });
  }

  private async maybeActivate(
    module: ModuleEntity,
    version: ModuleVersionEntity,
    candidate?: LoadedVersion,
  ): Promise<ImprovementResult> {
    const decision = activationDecision({
      activateRequested: version.activateRequested,
      dryRun: version.dryRun,
      authorRole: version.authorRole,
      settings: module.settings,
    });
    if (decision !== 'activate') {
      candidate?.dispose();
      this.events.publish({
        type: 'version.ready',
        module: module.name,
        versionId: version.id,
        held: decision === 'hold',
      });
      return { versionId: version.id, status: 'ready', activated: false };
    }
    const result = await this.activation.activateCandidate(module.name, version, candidate);
    if (result.activated) return { versionId: version.id, status: 'active', activated: true };
    candidate?.dispose();
    await this.store.updateVersion(version.id, {
      status: 'superseded',
      diagnostics: [
        {
          stage: 'activate',
          message: `its parent is no longer active (now ${result.fromVersionId ?? 'none'})`,
        },
      ],
    });
    this.events.publish({
      type: 'version.superseded',
      module: module.name,
      versionId: version.id,
      activeVersionId: result.fromVersionId,
    });
    return { versionId: version.id, status: 'superseded', activated: false };
  }

  private finish(
    base: { module: string; versionId: string },
    started: number,
    result: 'ok' | 'rejected' | 'error',
    outcome: string,
  ): void {
    emit(EVENTS.hotReloadDuration, {
      ...base,
      stage: 'pipeline',
      seconds: (performance.now() - started) / 1000,
      result,
    });
    if (result === 'ok') emit(EVENTS.hotReloadSuccess, { ...base, stage: 'pipeline' });
    this.metrics.reloadResults.inc({ result: outcome });
  }
}
