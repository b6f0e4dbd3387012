import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AuthorRole,
  CodeStoreError,
  CodeStoreRepository,
  ModuleEntity,
  ModuleSettings,
  ModuleVersionEntity,
  NewTestCase,
  type ModuleKind,
} from '@seed/code-store';
import { ClusterBus } from '@seed/cluster';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { JobsRepository } from '@seed/jobs';
import { HotReloadError } from './hot-reload.errors.js';
import { LocalRuns } from './local-runs.service.js';
import { IN_PIPELINE, type PipelineResult } from './pipeline.service.js';
import type { PipelineJobData } from './pipeline.worker.js';

/** While a version is in the pipeline but its job is gone or failed, its row is read again this often. */
const OUTCOME_RECHECK_MS = 1000;
/**
 * A completion event can be missed (QueueEvents reads only what comes after its blocking read starts, and Redis
 * may drop the connection), so a wait on the job is bounded and the row read again after it.
 */
const OUTCOME_WAIT_MS = 2000;

export interface Candidate {
  source: string;
  /** `role:name`, shown as is. */
  author: string;
  authorRole: AuthorRole;
  rationale?: string;
  parentVersionId?: string;
  activate: boolean;
  dryRun: boolean;
  /** Scoped by author and module; the same key with a different candidate is `idempotency_conflict`. */
  idempotencyKey?: string;
  /** Cases of the goal this candidate is meant to meet: tested on it, joined to the suite on its activation. */
  goalCases?: NewTestCase[];
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
  result: PipelineResult | null;
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
    private readonly jobs: JobsRepository,
    private readonly bus: ClusterBus,
    private readonly local: LocalRuns,
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
    kind: ModuleKind = 'module',
  ): Promise<Submission> {
    const { module, version } = await this.store.createModule(
      name,
      settings,
      tests,
      { parentId: null, source, author, authorRole, activateRequested: true, dryRun: false },
      author,
      this.config.pipeline.maxCasesPerModule,
      kind,
    );
    return this.submitted(module, version);
  }

  async submit(moduleName: string, candidate: Candidate): Promise<Submission> {
    const module = await this.store.getModule(moduleName);
    // An evaluator scores other modules' candidates: the agent must not be able to change its own judge.
    if (module.kind === 'evaluator' && candidate.authorRole === 'agent')
      throw new HotReloadError(
        'evaluator_protected',
        `module ${moduleName} is an evaluator: agents cannot submit to it`,
      );
    const idempotency = candidate.idempotencyKey
      ? { key: candidate.idempotencyKey, actor: candidate.author, requestSha256: requestHash(candidate) }
      : undefined;
    const earlierFor = async () => {
      if (!idempotency) return null;
      const { actor, key } = idempotency;
      const earlier = await this.store.findVersionByIdempotencyKey(module.id, actor, key);
      // Rows from before request hashes were stored have none to compare: they replay as they used to.
      if (earlier?.requestSha256 && earlier.requestSha256 !== idempotency.requestSha256) {
        throw new HotReloadError(
          'idempotency_conflict',
          `Idempotency-Key ${key} was used for a different submission to ${moduleName}`,
          { versionId: earlier.id, seq: earlier.seq },
        );
      }
      return earlier;
    };
    const earlier = await earlierFor();
    if (earlier) return this.replayed(earlier);
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
        idempotency,
        goalCases: candidate.goalCases,
      });
    } catch (error) {
      // Two requests with the same key raced: the loser answers with the winner's submission.
      const winner = await earlierFor();
      if (winner) return this.replayed(winner);
      throw error;
    }
    return this.submitted(module, version);
  }

  async job(id: string): Promise<JobView> {
    // Carried by this node: its crash record in Redis says `delayed`, the run is under way here.
    const local = this.local.view(id);
    if (local)
      return {
        id,
        state: 'active',
        stage: local.stage,
        progress: local.percent,
        attempts: 1,
        result: null,
        failedReason: null,
      };
    const job = await this.jobs.view<PipelineJobData, PipelineResult>('pipeline', id);
    if (job) {
      const { state, stage, progress, attempts, result, failedReason } = job;
      return { id, state, stage, progress, attempts, result, failedReason };
    }
    // Finished jobs are pruned from Redis, and a local run's record is removed: the version row tells the outcome.
    const version = await this.store.findVersion(id);
    if (!version) throw new HotReloadError('job_not_found', `job ${id} does not exist`);
    const finished = !IN_PIPELINE.has(version.status);
    const { status, diagnostics } = version;
    return {
      id,
      state: finished ? 'completed' : 'waiting',
      stage: finished ? 'done' : null,
      progress: finished ? 100 : 0,
      attempts: 0,
      result: finished
        ? {
            versionId: id,
            status,
            activated: status === 'active',
            ...(diagnostics?.length ? { diagnostics } : {}),
          }
        : null,
      failedReason: null,
    };
  }

  /**
   * Waits until the pipeline has decided the version (any status but the pipeline's own), woken by its
   * job's completion; null when the deadline (epoch ms) passes or the signal aborts first.
   */
  async awaitOutcome(
    versionId: string,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<ModuleVersionEntity | null> {
    for (;;) {
      const version = await this.store.findVersion(versionId);
      if (!version) throw new CodeStoreError('version_not_found', `version ${versionId} does not exist`);
      if (!IN_PIPELINE.has(version.status)) return version;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal?.aborted) return null;
      if (await this.local.wait(versionId, remaining, signal)) continue;
      const outcome = await this.jobs.waitForJob(
        'pipeline',
        versionId,
        Math.min(remaining, OUTCOME_WAIT_MS),
        signal,
      );
      if (outcome === 'timeout') continue;
      // Completed: read the row again. Failed or missing: the sweeper will run it again; re-read the row
      // at a slow pace meanwhile (waiting on the job again would answer at once).
      const row = await this.store.findVersion(versionId);
      if (row && IN_PIPELINE.has(row.status)) {
        await sleep(Math.min(OUTCOME_RECHECK_MS, Math.max(0, deadline - Date.now())), undefined, {
          signal,
        }).catch(() => undefined);
      }
    }
  }

  /**
   * Runs again every version the pipeline has not finished (any IN_PIPELINE status, `activating`
   * included) that has not moved for a sweep interval, unless its job is waiting or running: its job may
   * be gone with Redis, have given up (failed), or have completed without the row moving on. `ready` is
   * a decision (held, not asked, dry run), never swept. Safe on every node at once.
   */
  async sweep(): Promise<number> {
    const cutoff = new Date(Date.now() - this.config.pipeline.sweepIntervalMs);
    let requeued = 0;
    for (const version of await this.store.staleVersions(IN_PIPELINE, cutoff)) {
      try {
        const module = await this.store.getModuleById(version.moduleId).catch(() => null);
        if (!module) continue;
        const data: PipelineJobData = { versionId: version.id, module: module.name };
        if (await this.jobs.requeue('pipeline', version.id, data)) requeued++;
      } catch (error) {
        // Another node may have requeued it first; the next sweep looks again.
        this.logger.warn(`sweep of ${version.id} failed: ${(error as Error).message}`);
      }
    }
    if (requeued) this.logger.log(`re-enqueued ${requeued} orphaned submission(s)`);
    return requeued;
  }

  private async submitted(module: ModuleEntity, version: ModuleVersionEntity): Promise<Submission> {
    void this.bus.publish({
      type: 'version.submitted',
      module: module.name,
      versionId: version.id,
      seq: version.seq,
    });
    if (!(await this.local.start(module, version))) await this.enqueue(module.name, version.id);
    return { versionId: version.id, jobId: version.id, seq: version.seq, replayed: false };
  }

  private async enqueue(module: string, versionId: string): Promise<void> {
    try {
      await this.jobs.add<PipelineJobData>('pipeline', versionId, { versionId, module });
    } catch (error) {
      // The row is in PostgreSQL: the sweeper will enqueue it once Redis is back.
      this.logger.warn(`enqueue of ${versionId} deferred to the sweeper: ${(error as Error).message}`);
    }
  }

  private replayed(version: ModuleVersionEntity): Submission {
    return { versionId: version.id, jobId: version.id, seq: version.seq, replayed: true };
  }
}

/** What makes two submissions the same request (the author and the key scope it, so they are not in it). */
function requestHash(candidate: Candidate): string {
  const { source, rationale, parentVersionId, activate, dryRun } = candidate;
  const fields = [source, rationale ?? null, parentVersionId ?? null, activate, dryRun];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
