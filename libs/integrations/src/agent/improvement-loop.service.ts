import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import {
  CodeStoreError,
  CodeStoreRepository,
  ModuleEntity,
  type NewTestCase,
  previewText,
  sha256,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { HotReloadError, SubmissionsService } from '@seed/hot-reload';
import { PermanentJobFailure } from '@seed/jobs';
import { MODULE_SDK_DTS } from '@seed/runtime';
import { generateText, NoObjectGeneratedError, Output } from 'ai';
import { z } from 'zod';
import { IntegrationError, ModelRegistry } from '../models/model-registry.js';
import { AgentStore } from './agent.store.js';
import {
  type AgentOutcome,
  type AttemptRecord,
  type AttemptStatus,
  nextStep,
  reportedCostUsd,
} from './decision.js';
import { buildPrompt, feedbackFor } from './prompt.js';
import { RecentErrors } from './recent-errors.service.js';

export interface AgentJobData {
  module: string;
  goal: string;
  maxAttempts: number;
  /** The model spec; versions are authored `agent:<model>`. */
  model: string;
  /** Who asked: `role:name`, or `system:self-heal`. */
  requestedBy: string;
  origin: 'request' | 'self-heal';
  /**
   * Cases of the goal (the request's, or the failures self-healing captured): each candidate is tested on
   * them, and they join the module's suite only with a candidate that passes them and is activated.
   */
  goalCases?: NewTestCase[];
}

/** Kept in the job's progress, so a retried job resumes after its last recorded attempt. */
export interface AgentProgress {
  [key: string]: unknown;
  stage: 'model' | 'pipeline' | 'done';
  percent: number;
  attempt: number;
  attempts: AttemptRecord[];
  costUsd: number;
}

export interface AgentResult {
  outcome: AgentOutcome;
  module: string;
  /** The version that went live or waits for approval; otherwise the last attempt's version, if any. */
  versionId: string | null;
  attempts: AttemptRecord[];
  costUsd: number;
  elapsedMs: number;
}

/** One improvement as the loop sees it: whoever carries it (the agent worker: a job) provides these. */
export interface ImprovementRun {
  readonly id: string;
  readonly data: AgentJobData;
  /** When it was first requested (epoch ms): the time budget counts from here, across retries. */
  readonly createdAt: number;
  /** Progress saved by an earlier attempt, to resume after its last recorded attempt. */
  readonly saved: Partial<AgentProgress> | null;
  /** True when an error thrown now will not be retried. */
  readonly finalAttempt: boolean;
  /** Aborted when this node shuts down: another node resumes the run. */
  readonly signal: AbortSignal;
  saveProgress(progress: AgentProgress): Promise<void>;
}

interface LoopState {
  attempts: AttemptRecord[];
  costUsd: number;
}

const candidateSchema = z.object({
  source: z.string().min(1).describe('the complete TypeScript source of the module'),
  rationale: z.string().describe('why this change reaches the goal, in a few sentences'),
});

/** Errors that no retry can fix: the model cannot be reached as configured. */
const CONFIGURATION_ERRORS = new Set([
  'missing_api_key',
  'unknown_provider',
  'invalid_model',
  'cli_not_found',
]);

/**
 * One improvement: prompt → model → candidate → pipeline → verdict, fed back into the next prompt until a
 * candidate passes, maxAttempts are spent or a budget runs out. Every candidate goes through
 * SubmissionsService like any other, so it is a version in the lineage and activates only through the gates
 * and the module's policy. Only infrastructure errors throw (the run is retried, resuming after the last
 * recorded attempt); everything the model gets wrong is an attempt with feedback.
 */
@Injectable()
export class ImprovementLoop {
  private readonly logger = new Logger('Agent');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly submissions: SubmissionsService,
    private readonly agentStore: AgentStore,
    private readonly models: ModelRegistry,
    private readonly recentErrors: RecentErrors,
    private readonly bus: ClusterBus,
  ) {}

  async run(job: ImprovementRun): Promise<AgentResult> {
    const saved = job.saved ?? {};
    const state: LoopState = { attempts: [...(saved.attempts ?? [])], costUsd: saved.costUsd ?? 0 };
    try {
      for (;;) {
        const last = state.attempts.at(-1);
        if (last?.status === 'pending') {
          if (!(await this.settle(job, state, last)))
            return this.finish(job, state, 'time_budget', last.versionId);
          continue;
        }
        const module = await this.store.getModule(job.data.module);
        const { agent } = this.config.integrations;
        const step = nextStep({
          attempts: state.attempts,
          maxAttempts: job.data.maxAttempts,
          elapsedMs: Date.now() - job.createdAt,
          timeBudgetMs: agent.timeBudgetMs,
          costUsd: state.costUsd,
          costBudgetUsd: agent.costBudgetUsd,
          enabled: agent.enabled && module.settings.agent?.enabled !== false,
        });
        if (step.action === 'finish') return this.finish(job, state, step.outcome, step.versionId);
        await this.attempt(job, state, module, step.attempt);
      }
    } catch (caught) {
      const error =
        caught instanceof CodeStoreError && caught.code === 'module_not_found'
          ? new PermanentJobFailure(caught.message)
          : caught;
      if (error instanceof PermanentJobFailure || job.finalAttempt) {
        await this.agentStore.releaseInFlight(job.data.module, job.id);
        void this.bus.publish({
          type: 'agent.done',
          module: job.data.module,
          jobId: job.id,
          outcome: 'failed',
          error: (error as Error).message,
        });
      }
      throw error;
    }
  }

  private async attempt(
    job: ImprovementRun,
    state: LoopState,
    module: ModuleEntity,
    n: number,
  ): Promise<void> {
    const data = job.data;
    const active = module.activeVersionId ? await this.store.findVersion(module.activeVersionId) : null;
    if (!active) throw new PermanentJobFailure(`module ${data.module} has no active version`);
    const last = state.attempts.at(-1);
    const [tests, recentErrors, lastCandidate] = await Promise.all([
      this.store.listTests(module.id),
      this.recentErrors.list(data.module),
      last?.versionId ? this.store.findVersion(last.versionId) : null,
    ]);
    const { system, prompt } = buildPrompt({
      module: data.module,
      goal: data.goal,
      active: { seq: active.seq, source: active.source },
      // Held-out cases never reach a prompt: the candidate meets them only in the pipeline.
      tests: tests.filter((t) => !t.hidden),
      goalCases: (data.goalCases ?? []).filter((t) => !t.hidden),
      recentErrors,
      previous: state.attempts,
      ...(lastCandidate ? { lastCandidate: { attempt: last!.attempt, source: lastCandidate.source } } : {}),
      attempt: n,
      maxAttempts: data.maxAttempts,
      sdk: MODULE_SDK_DTS,
      grants: module.settings.capabilities,
    });
    await this.saveProgress(job, state, 'model', n);

    const remaining = this.config.integrations.agent.timeBudgetMs - (Date.now() - job.createdAt);
    const budget = AbortSignal.timeout(Math.max(1, remaining));
    let answer: z.infer<typeof candidateSchema>;
    let costUsd: number;
    try {
      const result = await generateText({
        model: this.models.resolve(data.model),
        system,
        prompt,
        output: Output.object({ schema: candidateSchema, name: 'candidate' }),
        abortSignal: AbortSignal.any([budget, job.signal]),
      });
      answer = result.output;
      costUsd = reportedCostUsd(result.providerMetadata);
    } catch (error) {
      if (job.signal.aborted) throw error;
      if (budget.aborted) return; // no attempt recorded: the next step sees the time budget spent
      if (NoObjectGeneratedError.isInstance(error) || isIntegrationError(error, 'malformed_output')) {
        this.record(job, state, {
          attempt: n,
          versionId: null,
          seq: null,
          status: 'invalid_output',
          feedback: [
            `Your answer was not a JSON object {"source": string, "rationale": string}: ${previewText((error as Error).message, 300)}`,
          ],
          costUsd: 0,
        });
        return this.saveProgress(job, state, 'model', n);
      }
      if (error instanceof IntegrationError && CONFIGURATION_ERRORS.has(error.code))
        throw new PermanentJobFailure(`model ${data.model}: ${error.message}`);
      throw error;
    }

    const duplicateOf = await this.store.versionWithSource(module.id, sha256(answer.source));
    if (duplicateOf !== null) {
      this.record(job, state, {
        attempt: n,
        versionId: null,
        seq: null,
        status: 'duplicate',
        feedback: [
          `identical to version ${duplicateOf}: propose a source that differs from every earlier version`,
        ],
        costUsd,
      });
      return this.saveProgress(job, state, 'model', n);
    }
    const submission = await this.submissions
      .submit(data.module, {
        source: answer.source,
        rationale: answer.rationale,
        author: `agent:${data.model}`,
        authorRole: 'agent',
        activate: true,
        dryRun: false,
        parentVersionId: active.id,
        // A retried job that submitted before it could record the attempt finds its own submission again.
        idempotencyKey: `${job.id}:${n}`,
        goalCases: data.goalCases ?? [],
      })
      .catch((error: unknown) => {
        // ...even though the model, asked again, answered differently: the key names the attempt.
        if (!(error instanceof HotReloadError && error.code === 'idempotency_conflict')) throw error;
        return error.details as { versionId: string; seq: number };
      });
    state.attempts.push({
      attempt: n,
      versionId: submission.versionId,
      seq: submission.seq,
      status: 'pending',
      feedback: [],
      costUsd,
    });
    state.costUsd += costUsd;
    await this.saveProgress(job, state, 'pipeline', n);
  }

  /** Waits for the pipeline's verdict on the attempt's candidate; false when the time budget ran out first. */
  private async settle(job: ImprovementRun, state: LoopState, record: AttemptRecord): Promise<boolean> {
    const deadline = job.createdAt + this.config.integrations.agent.timeBudgetMs;
    // A failed pipeline job is retried by the sweeper: keep waiting, within the budget.
    const version = await this.submissions.awaitOutcome(record.versionId!, deadline, job.signal);
    if (job.signal.aborted) throw new Error('shutting down');
    if (!version) return false;
    const status: AttemptStatus =
      version.status === 'active' || version.status === 'ready' || version.status === 'superseded'
        ? version.status
        : 'rejected';
    let activeSeq: number | null = null;
    if (status === 'superseded') {
      const module = await this.store.getModuleById(version.moduleId);
      activeSeq = module.activeVersionId
        ? ((await this.store.findVersion(module.activeVersionId))?.seq ?? null)
        : null;
    }
    record.status = status;
    record.feedback =
      status === 'active' || status === 'ready'
        ? []
        : feedbackFor({ status: version.status, diagnostics: version.diagnostics, activeSeq });
    this.published(job, record);
    await this.saveProgress(job, state, 'pipeline', record.attempt);
    return true;
  }

  private record(job: ImprovementRun, state: LoopState, record: AttemptRecord): void {
    state.attempts.push(record);
    state.costUsd += record.costUsd;
    this.published(job, record);
  }

  private published(job: ImprovementRun, record: AttemptRecord): void {
    void this.bus.publish({
      type: 'agent.attempt',
      module: job.data.module,
      ...(record.versionId ? { versionId: record.versionId } : {}),
      jobId: job.id,
      attempt: record.attempt,
      maxAttempts: job.data.maxAttempts,
      status: record.status,
      feedback: record.feedback.slice(0, 3),
    });
  }

  private async finish(
    job: ImprovementRun,
    state: LoopState,
    outcome: AgentOutcome,
    versionId: string | null,
  ): Promise<AgentResult> {
    const result: AgentResult = {
      outcome,
      module: job.data.module,
      versionId,
      attempts: state.attempts,
      costUsd: state.costUsd,
      elapsedMs: Date.now() - job.createdAt,
    };
    await this.saveProgress(job, state, 'done', state.attempts.length);
    await this.agentStore.releaseInFlight(job.data.module, job.id);
    void this.bus.publish({
      type: 'agent.done',
      module: job.data.module,
      ...(versionId ? { versionId } : {}),
      jobId: job.id,
      outcome,
      attempts: state.attempts.length,
      costUsd: state.costUsd,
    });
    this.logger.log(
      `${job.data.module}: improvement ${job.id} ${outcome} after ${state.attempts.length} attempt(s)`,
    );
    return result;
  }

  private async saveProgress(
    job: ImprovementRun,
    state: LoopState,
    stage: AgentProgress['stage'],
    attempt: number,
  ): Promise<void> {
    const max = job.data.maxAttempts;
    const done = stage === 'done' ? max : attempt - 1 + (stage === 'pipeline' ? 0.5 : 0.1);
    await job.saveProgress({
      stage,
      percent: Math.min(100, Math.round((done / max) * 100)),
      attempt,
      attempts: state.attempts,
      costUsd: state.costUsd,
    } satisfies AgentProgress);
  }
}

function isIntegrationError(error: unknown, code: IntegrationError['code']): boolean {
  return error instanceof IntegrationError && error.code === code;
}
