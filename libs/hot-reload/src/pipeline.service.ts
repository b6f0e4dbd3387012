import { FixtureSession, TranscriptSession, type TranscriptEntry } from '@seed/capabilities';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import {
  ArtifactCache,
  type CaseEvaluator,
  CodeStoreRepository,
  Diagnostic,
  ModuleEntity,
  ModuleVersionEntity,
  sha256,
  type VersionStatus,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { compileModule, IsolatePool, LoadedVersion, ModuleLoadError } from '@seed/runtime';
import { EVENTS, emit, MetricsService, PipelineStage } from '@seed/telemetry';
import { ActivationService } from './activation.service.js';
import { activationDecision, validateSource } from './gates.js';
import { runCascade } from './evaluation-cascade.js';
import { InvocationService } from './invocation.service.js';
import { effectiveLimits } from './limits.js';
import { boundDiagnostics, boundReport } from './report-bounds.js';
import { ReplaySamples } from './replay-samples.service.js';

export interface PipelineResult {
  versionId: string;
  status: VersionStatus;
  activated: boolean;
  diagnostics?: Diagnostic[];
}

/** How a run reports itself to whoever carries it (the pipeline worker: the job's progress). */
export interface PipelineRun {
  progress(stage: PipelineStage | 'done', percent: number): Promise<void>;
  /** An infrastructure error on the final attempt is final (telemetry says so). */
  readonly finalAttempt: boolean;
}

/** Statuses a version never leaves. */
export const FINAL_STATUSES: ReadonlySet<VersionStatus> = new Set([
  'active',
  'retired',
  'rejected',
  'superseded',
]);
/** Statuses of a version the pipeline has not decided yet: it will move on by itself. */
export const IN_PIPELINE: ReadonlySet<VersionStatus> = new Set([
  'queued',
  'compiling',
  'testing',
  'activating',
]);
/** Stored and waiting for its activation decision: a re-delivered run only decides it again. */
const STORED: ReadonlySet<VersionStatus> = new Set(['ready', 'activating']);

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
 * compile → validate → test → store → activate, for one submitted version. Delivery is at least once, so
 * every stage can run again and find its own work done. Deterministic rejections end with status
 * `rejected`; infrastructure errors throw, and whoever runs the pipeline retries them.
 */
@Injectable()
export class PipelineService {
  private readonly logger = new Logger('Pipeline');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly artifacts: ArtifactCache,
    private readonly replay: ReplaySamples,
    private readonly activation: ActivationService,
    private readonly metrics: MetricsService,
    private readonly pool: IsolatePool,
    private readonly bus: ClusterBus,
    private readonly invocations: InvocationService,
  ) {}

  /** `loaded`: the rows the submitting node has just written (a local run), so they are not read again. */
  async evaluate(
    versionId: string,
    run: PipelineRun,
    loaded?: { version: ModuleVersionEntity; module: ModuleEntity },
  ): Promise<PipelineResult> {
    const started = performance.now();
    const found = loaded ?? (await this.store.findVersionWithModule(versionId));
    if (!found) return { versionId, status: 'rejected', activated: false };
    const { version, module } = found;
    if (FINAL_STATUSES.has(version.status))
      return { versionId, status: version.status, activated: version.status === 'active' };
    if (STORED.has(version.status)) return this.decide(module, version);
    const base = { module: module.name, versionId };
    emit(EVENTS.hotReloadStart, { ...base, stage: 'pipeline' });
    let candidate: LoadedVersion | undefined;
    try {
      const stage = <T>(name: PipelineStage, work: () => Promise<T>) =>
        this.stage(run, module, version, name, work);
      const compiled = await stage('compile', () => this.compile(version));
      await stage('validate', async () => {
        const problems = validateSource(version.source, this.config.pipeline.maxSourceBytes);
        if (problems.length) throw new Rejection('validate', problems);
      });
      candidate = await stage('test', () => this.test(module, version, compiled));
      await stage('store', () => this.storeArtifact(module, version, compiled));
      const warm = candidate;
      candidate = undefined; // handed over or disposed by decide
      const result = await stage('activate', () => this.decide(module, version, warm));
      await run.progress('done', PROGRESS.done);
      this.finish(base, started, 'ok', result.status);
      return result;
    } catch (error) {
      candidate?.dispose();
      if (!(error instanceof Rejection)) this.store.discardDeferred(versionId);
      if (error instanceof Rejection) return this.reject(run, module, version, error, started);
      emit(EVENTS.hotReloadError, {
        ...base,
        stage: 'pipeline',
        code: 'infrastructure',
        message: (error as Error).message,
        final: run.finalAttempt,
      });
      this.finish(base, started, 'error', 'error');
      throw error;
    }
  }

  private async reject(
    run: PipelineRun,
    module: ModuleEntity,
    version: ModuleVersionEntity,
    rejection: Rejection,
    started: number,
  ): Promise<PipelineResult> {
    const base = { module: module.name, versionId: version.id };
    const diagnostics = boundDiagnostics(rejection.diagnostics, this.config.pipeline.previewBytes);
    await this.store.updateVersion(version.id, { status: 'rejected', diagnostics });
    await run.progress('done', PROGRESS.done);
    emit(EVENTS.hotReloadError, {
      ...base,
      stage: rejection.stage,
      code: 'rejected',
      message: diagnostics.map((d) => d.message).join('; '),
      final: true,
    });
    void this.bus.publish({
      type: 'version.rejected',
      ...base,
      stage: rejection.stage,
      diagnostics: diagnostics.slice(0, 3),
    });
    this.finish(base, started, 'rejected', 'rejected');
    return {
      versionId: version.id,
      status: 'rejected',
      activated: false,
      diagnostics,
    };
  }

  private async stage<T>(
    run: PipelineRun,
    module: ModuleEntity,
    version: ModuleVersionEntity,
    stage: PipelineStage,
    work: () => Promise<T>,
  ): Promise<T> {
    await run.progress(stage, PROGRESS[stage]);
    const base = { module: module.name, versionId: version.id, stage };
    emit(EVENTS.hotReloadStart, base);
    void this.bus.publish({ type: 'version.stage', ...base });
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
    // No `compiling` write: esbuild takes a millisecond, and the `testing` write follows it.
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
      const outcome = await runCascade({
        candidate,
        loadFresh: () =>
          LoadedVersion.load({ module: module.name, versionId: version.id, code, limits, pool: this.pool }),
        cases: [...cases, ...version.goalCases],
        replayInputs,
        active: once(() => this.invocations.activeVersion(module.name).catch(() => undefined)),
        loadEvaluator: (ref) => this.loadEvaluator(ref),
        sourceBytes: Buffer.byteLength(version.source, 'utf8'),
        activeSourceBytes: await this.activeSourceBytes(module),
        settings: module.settings,
        fixtures: (fixtures, transcript) =>
          transcript
            ? new TranscriptSession(
                module.settings.capabilities,
                transcript as TranscriptEntry[],
                this.config.capabilities,
              )
            : new FixtureSession(
                module.name,
                module.settings.capabilities,
                fixtures,
                this.config.capabilities,
              ),
      });
      const { previewBytes, reportMaxBytes } = this.config.pipeline;
      const report = boundReport(outcome.report, { valueBytes: previewBytes, reportBytes: reportMaxBytes });
      // Written with the stage's outcome: `activating`/`ready`, or `rejected`.
      this.store.deferVersionUpdate(version.id, { testReport: report, score: outcome.score });
      if (outcome.failure) throw new Rejection('test', outcome.failure.diagnostics);
      return candidate;
    } catch (error) {
      candidate.dispose();
      throw error;
    }
  }

  /** An evaluator's pinned version, in its own isolate: only a version of a module of kind `evaluator`. */
  private async loadEvaluator(ref: CaseEvaluator): Promise<LoadedVersion> {
    const module = await this.store.getModule(ref.module);
    const version = await this.store.findVersion(ref.versionId);
    if (module.kind !== 'evaluator') throw new Error(`module ${ref.module} is not an evaluator`);
    if (!version?.compiled || version.moduleId !== module.id)
      throw new Error(`version ${ref.versionId} is not a compiled version of ${ref.module}`);
    return LoadedVersion.load({
      module: module.name,
      versionId: version.id,
      code: version.compiled,
      limits: effectiveLimits(this.config.sandbox, module.settings),
      pool: this.pool,
    });
  }

  private async activeSourceBytes(module: ModuleEntity): Promise<number | undefined> {
    if (!module.settings.objective?.sizeWeight || !module.activeVersionId) return undefined;
    const active = await this.store.findVersion(module.activeVersionId);
    return active ? Buffer.byteLength(active.source, 'utf8') : undefined;
  }

  /** Stored; a version on its way to `active` shows `activating`, never `ready` (which means "waiting"). */
  private async storeArtifact(
    module: ModuleEntity,
    version: ModuleVersionEntity,
    code: string,
  ): Promise<void> {
    // Only a cache (PostgreSQL holds the code, and a node rebuilds a missing file from it): not waited for.
    void this.artifacts
      .write(version.sha256!, code)
      .catch((error: Error) => this.logger.warn(`artifact cache not written: ${error.message}`));
    const status = this.decision(module, version) === 'activate' ? 'activating' : 'ready';
    await this.store.updateVersion(version.id, { status, diagnostics: null });
    version.status = status;
  }

  private decision(module: ModuleEntity, version: ModuleVersionEntity) {
    return activationDecision({
      activateRequested: version.activateRequested,
      dryRun: version.dryRun,
      authorRole: version.authorRole,
      settings: module.settings,
    });
  }

  private async decide(
    module: ModuleEntity,
    version: ModuleVersionEntity,
    candidate?: LoadedVersion,
  ): Promise<PipelineResult> {
    const decision = this.decision(module, version);
    if (decision !== 'activate') {
      candidate?.dispose();
      // A re-delivered run of a version stored as `activating` under settings that since changed.
      if (version.status !== 'ready') await this.store.updateVersion(version.id, { status: 'ready' });
      void this.bus.publish({
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
    void this.bus.publish({
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

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}
