import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  assertCaseRoom,
  CodeStoreRepository,
  type EditMode,
  type ImprovementRunEntity,
  type NewTestCase,
  type ParentSelection,
  type RunOptions,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { HotReloadError } from '@seed/hot-reload';
import { AgentError, AgentStore, ModelRegistry, secondsUntilNextDay } from '@seed/integrations';
import { AGENT_JOB_PREFIX, JobsRepository } from '@seed/jobs';
import { ImprovementError } from './improvement.errors.js';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';
import { ImprovementSweeper } from './improvement-sweeper.js';
import { jobView, type Reader, runView, summaryView } from './run-views.js';

export interface RunRequest {
  goal: string;
  tests?: NewTestCase[];
  rounds?: number;
  candidatesPerRound?: number;
  parentSelection?: ParentSelection;
  edit?: EditMode;
  budget?: Partial<RunOptions['budget']>;
  /** The rounds when `rounds` is absent (one candidate a round is one attempt, as before runs). */
  maxAttempts?: number;
  model?: string;
}

/** What the agent queue's job carries: the run, and for readers of the job who asked for what. */
export interface ImprovementJobData {
  runId: string;
  module: string;
  goal: string;
  model: string;
  requestedBy: string;
  origin: 'request' | 'self-heal';
  maxAttempts: number;
}

/** Starts improvement runs (admission, one running per module, record, job), and shows, lists and cancels them. */
@Injectable()
export class ImprovementsService {
  private readonly logger = new Logger('Improvements');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly runs: ImprovementRunsRepository,
    private readonly agentStore: AgentStore,
    private readonly models: ModelRegistry,
    private readonly jobs: JobsRepository,
    private readonly sweeper: ImprovementSweeper,
  ) {}

  async start(
    moduleName: string,
    request: RunRequest,
    actor: string,
    origin: ImprovementJobData['origin'] = 'request',
  ): Promise<{ runId: string; jobId: string; module: string }> {
    const { agent } = this.config.integrations;
    if (!agent.enabled)
      throw new AgentError('agent_disabled', 'the improving agent is turned off (AGENT_ENABLED=false)');
    const module = await this.store.getModule(moduleName);
    if (module.settings.agent?.enabled === false)
      throw new AgentError(
        'agent_disabled_for_module',
        `the improving agent is turned off for module ${moduleName} (settings.agent.enabled=false)`,
      );
    if (!module.activeVersionId)
      throw new AgentError('no_active_version', `module ${moduleName} has no active version to improve`);
    if (module.kind === 'evaluator')
      throw new HotReloadError(
        'evaluator_protected',
        `module ${moduleName} is an evaluator: the agent cannot improve it`,
      );
    const rounds = request.rounds ?? request.maxAttempts ?? agent.maxAttempts;
    if (rounds > agent.maxAttempts)
      throw new AgentError(
        'invalid_request',
        `${request.rounds !== undefined ? 'rounds' : 'maxAttempts'} may be at most ${agent.maxAttempts} (AGENT_MAX_ATTEMPTS)`,
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
    const options: RunOptions = {
      rounds,
      candidatesPerRound: request.candidatesPerRound ?? 1,
      parentSelection: request.parentSelection ?? 'active',
      edit: request.edit ?? 'auto',
      budget: {
        maxTokens: request.budget?.maxTokens ?? 0,
        maxCostUsd: request.budget?.maxCostUsd ?? agent.costBudgetUsd,
        maxMs: request.budget?.maxMs ?? agent.timeBudgetMs,
      },
      model,
    };
    const id = randomUUID();
    const jobId = `${AGENT_JOB_PREFIX}${id}`;
    const run = await this.insertRunning(module.id, moduleName, {
      id,
      jobId,
      moduleId: module.id,
      goal: request.goal,
      goalCases: request.tests ?? [],
      options,
      requestedBy: actor,
    });
    const now = Date.now();
    let reserved = false;
    try {
      reserved = await this.agentStore.reserveDaily(moduleName, agent.dailyLimit, now);
      if (!reserved)
        throw new AgentError(
          'agent_daily_limit',
          `module ${moduleName} has had its ${agent.dailyLimit} improvements today (AGENT_DAILY_LIMIT)`,
          { limit: agent.dailyLimit, retryAfterSeconds: secondsUntilNextDay(now) },
        );
      await this.jobs.add('agent', jobId, {
        runId: run.id,
        module: moduleName,
        goal: request.goal,
        model,
        requestedBy: actor,
        origin,
        maxAttempts: rounds,
      } satisfies ImprovementJobData);
    } catch (error) {
      // Refused or never queued: no record of it, and the module is free for the next request.
      if (reserved) await this.agentStore.releaseDaily(moduleName, now);
      await this.runs.delete(run.id);
      throw error;
    }
    this.logger.log(
      `${moduleName}: improvement run ${run.id} queued (${origin}, ${rounds} rounds × ${options.candidatesPerRound})`,
    );
    return { runId: run.id, jobId, module: moduleName };
  }

  /**
   * The run inserted as the module's one running run, or 409 `improvement_running` naming the one that is. A
   * running run whose job is lost ends as `job_lost`, and the insert is tried again.
   */
  private async insertRunning(
    moduleId: string,
    moduleName: string,
    run: Partial<ImprovementRunEntity>,
  ): Promise<ImprovementRunEntity> {
    for (let tries = 0; ; tries++) {
      const inserted = await this.runs.insertRunning(run);
      if (inserted) return inserted;
      const running = await this.runs.running(moduleId);
      if (!running) continue; // it finished in between: try again
      // The sweep would end it within AGENT_SWEEP_INTERVAL; a start need not wait for it.
      if (tries === 0 && (await this.sweeper.endIfLost(running))) continue;
      throw new ImprovementError(
        'improvement_running',
        `module ${moduleName} has an improvement run in progress (${running.id}); cancel it or wait for it`,
        { runId: running.id },
      );
    }
  }

  async view(id: string, reader: Reader) {
    const run = await this.runs.find(id);
    if (!run) throw new ImprovementError('improvement_not_found', `improvement run ${id} does not exist`);
    const module = await this.store.getModuleById(run.moduleId);
    const candidates = await this.runs.candidatesOf(id);
    return runView(run, module.name, candidates, reader);
  }

  /** The run's queue job, `agent-<runId>` (GET /jobs/:jobId). */
  async job(jobId: string) {
    const run = await this.runs.findByJob(jobId);
    if (!run) throw new AgentError('job_not_found', `job ${jobId} does not exist`);
    const module = await this.store.getModuleById(run.moduleId);
    return jobView(jobId, await this.jobs.view('agent', jobId), run, module.name);
  }

  async list(moduleName: string, page: { limit: number; offset: number }) {
    const module = await this.store.getModule(moduleName);
    const { items, total } = await this.runs.listForModule(module.id, page.limit, page.offset);
    return { items: items.map((r) => summaryView(r, module.name)), total, ...page };
  }

  async cancel(id: string, reader: Reader) {
    const run = await this.runs.find(id);
    if (!run) throw new ImprovementError('improvement_not_found', `improvement run ${id} does not exist`);
    if (!(await this.runs.requestCancel(id)))
      throw new ImprovementError(
        'improvement_finished',
        `improvement run ${id} has already finished (${run.stopReason})`,
      );
    return this.view(id, reader);
  }
}
