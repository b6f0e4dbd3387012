import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { assertCaseRoom, CodeStoreRepository, type NewTestCase } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { type CallStats, HotReloadError } from '@seed/hot-reload';
import { AGENT_JOB_PREFIX, JobsRepository } from '@seed/jobs';
import { ModelRegistry } from '../models/model-registry.js';
import { AgentError } from './agent.errors.js';
import type { AgentJobData, AgentProgress, AgentResult } from './improvement-loop.service.js';
import { AgentStore } from './agent.store.js';
import { admissionRefusal, type AttemptRecord, secondsUntilNextDay } from './decision.js';
import { RecentErrors } from './recent-errors.service.js';
import { selfHealRequest } from './self-heal.js';

export interface ImproveRequest {
  goal: string;
  /**
   * Cases of the goal, which the active version need not pass: kept with the job, they join the module's
   * suite with the candidate that passes them, once it is activated.
   */
  tests?: NewTestCase[];
  maxAttempts?: number;
  /** A model spec for ModelRegistry.resolve; AGENT_MODEL when absent. */
  model?: string;
}

export interface AgentJobView {
  id: string;
  kind: 'agent';
  module: string | null;
  state: string;
  stage: string | null;
  progress: number;
  /** BullMQ's delivery attempts (infrastructure retries), as for pipeline jobs. */
  attempts: number;
  result: AgentResult | null;
  failedReason: string | null;
  improvement: {
    goal: string;
    origin: AgentJobData['origin'];
    model: string;
    maxAttempts: number;
    attempts: AttemptRecord[];
    costUsd: number;
  };
}

const IN_FLIGHT_MARGIN_MS = 60_000;

/** Admits improvement requests (limits, one in flight per module) and queues them as `agent` jobs. */
@Injectable()
export class AgentService {
  private readonly logger = new Logger('Agent');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly agentStore: AgentStore,
    private readonly models: ModelRegistry,
    private readonly recentErrors: RecentErrors,
    private readonly jobs: JobsRepository,
  ) {}

  async improve(
    moduleName: string,
    request: ImproveRequest,
    actor: string,
    origin: AgentJobData['origin'] = 'request',
  ): Promise<{ jobId: string; module: string }> {
    const settings = this.config.integrations.agent;
    if (!settings.enabled) this.refuse({ agentEnabled: false, module: moduleName });
    const module = await this.store.getModule(moduleName);
    this.refuse({
      agentEnabled: settings.enabled,
      module: moduleName,
      moduleAgentEnabled: module.settings.agent?.enabled,
      maxAttempts: request.maxAttempts,
    });
    if (!module.activeVersionId)
      throw new AgentError('no_active_version', `module ${moduleName} has no active version to improve`);
    if (module.kind === 'evaluator')
      throw new HotReloadError(
        'evaluator_protected',
        `module ${moduleName} is an evaluator: the agent cannot improve it`,
      );
    // Goal cases must fit in the suite once they join it.
    if (request.tests?.length)
      assertCaseRoom(
        await this.store.countTests(module.id),
        request.tests.length,
        this.config.pipeline.maxCasesPerModule,
      );
    const model = request.model ?? this.config.integrations.agentModel;
    this.models.resolve(model); // an unknown provider or a missing key is the request's error, not the job's

    const now = Date.now();
    const jobId = `${AGENT_JOB_PREFIX}${randomUUID()}`;
    const holder = await this.agentStore.claimInFlight(
      moduleName,
      jobId,
      settings.timeBudgetMs + IN_FLIGHT_MARGIN_MS,
    );
    if (holder) {
      throw new AgentError('agent_busy', `an improvement of module ${moduleName} is already running`, {
        jobId: holder,
      });
    }
    let reserved = false;
    try {
      reserved = await this.agentStore.reserveDaily(moduleName, settings.dailyLimit, now);
      if (!reserved) {
        throw new AgentError(
          'agent_daily_limit',
          `module ${moduleName} has had its ${settings.dailyLimit} improvements today (AGENT_DAILY_LIMIT)`,
          { limit: settings.dailyLimit, retryAfterSeconds: secondsUntilNextDay(now) },
        );
      }
      const data: AgentJobData = {
        module: moduleName,
        goal: request.goal,
        maxAttempts: request.maxAttempts ?? settings.maxAttempts,
        model,
        requestedBy: actor,
        origin,
        goalCases: request.tests ?? [],
      };
      await this.jobs.add('agent', jobId, data);
    } catch (error) {
      if (reserved) await this.agentStore.releaseDaily(moduleName, now);
      await this.agentStore.releaseInFlight(moduleName, jobId);
      throw error;
    }
    this.logger.log(`${moduleName}: improvement ${jobId} queued (${origin}, model ${model})`);
    return { jobId, module: moduleName };
  }

  /**
   * Schedules a self-heal of a failing module: at most once per SELF_HEAL_COOLDOWN across the cluster, never
   * beside another improvement of the module. Returns the job id, or null when nothing was scheduled.
   */
  async selfHeal(moduleName: string, stats: CallStats): Promise<string | null> {
    const { agent, selfHeal } = this.config.integrations;
    if (!agent.enabled || !selfHeal.enabled) return null;
    const module = await this.store.findModule(moduleName);
    if (!module?.activeVersionId || module.settings.agent?.enabled === false) return null;
    if (await this.agentStore.inFlight(moduleName)) return null;
    if (!(await this.agentStore.claimCooldown(moduleName, selfHeal.cooldownMs))) return null;
    const [errors, cases] = await Promise.all([
      this.recentErrors.list(moduleName),
      this.store.listTests(module.id),
    ]);
    const request = selfHealRequest({
      module: moduleName,
      stats,
      windowMs: selfHeal.windowMs,
      errors,
      existingCaseNames: new Set(cases.map((c) => c.name)),
    });
    try {
      const { jobId } = await this.improve(moduleName, request, 'system:self-heal', 'self-heal');
      this.logger.warn(
        `${moduleName}: self-heal scheduled (${stats.failures}/${stats.calls} calls failed): ${jobId}`,
      );
      return jobId;
    } catch (error) {
      if (!(error instanceof AgentError)) throw error;
      this.logger.warn(`${moduleName}: self-heal not scheduled: ${error.message}`);
      return null;
    }
  }

  async job(id: string): Promise<AgentJobView> {
    const job = id.startsWith(AGENT_JOB_PREFIX)
      ? await this.jobs.view<AgentJobData, AgentResult>('agent', id)
      : null;
    if (!job) throw new AgentError('job_not_found', `job ${id} does not exist`);
    const progress = (job.progressData ?? {}) as Partial<AgentProgress>;
    const data = job.data;
    return {
      id,
      kind: 'agent',
      module: data.module ?? null,
      state: job.state,
      stage: job.stage,
      progress: job.progress,
      attempts: job.attempts,
      result: job.result,
      failedReason: job.failedReason,
      improvement: {
        goal: data.goal,
        origin: data.origin,
        model: data.model,
        maxAttempts: data.maxAttempts,
        attempts: progress.attempts ?? [],
        costUsd: progress.costUsd ?? 0,
      },
    };
  }

  private refuse(input: Omit<Parameters<typeof admissionRefusal>[0], 'maxAttemptsAllowed'>): void {
    const refusal = admissionRefusal({
      ...input,
      maxAttemptsAllowed: this.config.integrations.agent.maxAttempts,
    });
    if (refusal) throw new AgentError(refusal.code, refusal.message);
  }
}
