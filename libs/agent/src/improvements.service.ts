import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  CodeStoreRepository,
  type EditMode,
  type ImprovementCandidateEntity,
  type ImprovementRunEntity,
  type NewTestCase,
  type ParentSelection,
  type RunOptions,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { HotReloadError } from '@seed/hot-reload';
import { AgentError, AgentStore, AgentWorker, ModelRegistry, secondsUntilNextDay } from '@seed/integrations';
import { AGENT_JOB_PREFIX, JobsRepository } from '@seed/jobs';
import { ImprovementError } from './improvement.errors.js';
import { ImprovementEngine } from './improvement-engine.service.js';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';

export interface RunRequest {
  goal: string;
  tests?: NewTestCase[];
  rounds?: number;
  candidatesPerRound?: number;
  parentSelection?: ParentSelection;
  edit?: EditMode;
  budget?: Partial<RunOptions['budget']>;
  /** Today's knob: the rounds when `rounds` is absent (one candidate a round is one attempt). */
  maxAttempts?: number;
  model?: string;
}

/** Who reads a run: prompts are admins' only. */
export type Reader = 'admin' | 'agent' | 'viewer';

/** Starts improvement runs (admission, record, job), and shows, lists and cancels them. */
@Injectable()
export class ImprovementsService implements OnModuleInit {
  private readonly logger = new Logger('Improvements');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly runs: ImprovementRunsRepository,
    private readonly engine: ImprovementEngine,
    private readonly worker: AgentWorker,
    private readonly agentStore: AgentStore,
    private readonly models: ModelRegistry,
    private readonly jobs: JobsRepository,
  ) {}

  onModuleInit(): void {
    this.worker.handleRuns(async (runId, signal, finalAttempt) => {
      try {
        return await this.engine.run(runId, signal);
      } catch (error) {
        // The last delivery failed: the run must not show `running` forever.
        if (finalAttempt && !signal.aborted) await this.runs.fail(runId);
        throw error;
      }
    });
  }

  async start(
    moduleName: string,
    request: RunRequest,
    actor: string,
  ): Promise<{ runId: string; jobId: string }> {
    const { agent } = this.config.integrations;
    if (!agent.enabled)
      throw new AgentError('agent_disabled', 'the improving agent is turned off (AGENT_ENABLED=false)');
    const module = await this.store.getModule(moduleName);
    if (module.settings.agent?.enabled === false)
      throw new AgentError(
        'agent_disabled_for_module',
        `the improving agent is turned off for module ${moduleName}`,
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
        `rounds may be at most ${agent.maxAttempts} (AGENT_MAX_ATTEMPTS)`,
      );
    const model = request.model ?? this.config.integrations.agentModel;
    this.models.resolve(model);
    if (!(await this.agentStore.reserveDaily(moduleName, agent.dailyLimit, Date.now())))
      throw new AgentError(
        'agent_daily_limit',
        `module ${moduleName} has had its ${agent.dailyLimit} improvements today`,
        {
          limit: agent.dailyLimit,
          retryAfterSeconds: secondsUntilNextDay(Date.now()),
        },
      );
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
    const run = await this.runs.create({
      moduleId: module.id,
      goal: request.goal,
      goalCases: request.tests ?? [],
      options,
      requestedBy: actor,
    });
    const jobId = `${AGENT_JOB_PREFIX}${run.id}`;
    await this.runs.update(run.id, { jobId });
    await this.jobs.add('agent', jobId, {
      runId: run.id,
      module: moduleName,
      goal: request.goal,
      model,
      requestedBy: actor,
      origin: 'request',
      maxAttempts: rounds,
    });
    this.logger.log(
      `${moduleName}: improvement run ${run.id} queued (${rounds} rounds × ${options.candidatesPerRound})`,
    );
    return { runId: run.id, jobId };
  }

  async view(id: string, reader: Reader) {
    const run = await this.runs.find(id);
    if (!run) throw new ImprovementError('improvement_not_found', `improvement run ${id} does not exist`);
    const module = await this.store.getModuleById(run.moduleId);
    const candidates = await this.runs.candidatesOf(id);
    return runView(run, module.name, candidates, reader);
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

function summaryView(run: ImprovementRunEntity, module: string) {
  return {
    id: run.id,
    module,
    goal: run.goal,
    state: run.state,
    stopReason: run.stopReason,
    options: run.options,
    roundsDone: run.roundsDone,
    tokens: run.tokens,
    costUsd: run.costUsd,
    cancelRequested: run.cancelRequested,
    activatedVersionId: run.activatedVersionId,
    requestedBy: run.requestedBy,
    createdAt: run.createdAt,
    finishedAt: run.finishedAt,
  };
}

/** A run with its rounds; goal cases and prompts only for admins (hidden goal cases never for others). */
export function runView(
  run: ImprovementRunEntity,
  module: string,
  candidates: ImprovementCandidateEntity[],
  reader: Reader,
) {
  const rounds = new Map<number, ReturnType<typeof candidateView>[]>();
  for (const c of candidates) rounds.set(c.round, [...(rounds.get(c.round) ?? []), candidateView(c, reader)]);
  const visibleGoalCases = run.goalCases.filter((c) => reader === 'admin' || !c.hidden);
  return {
    ...summaryView(run, module),
    goalCases: visibleGoalCases,
    ...(visibleGoalCases.length < run.goalCases.length
      ? { hiddenGoalCases: run.goalCases.length - visibleGoalCases.length }
      : {}),
    rounds: [...rounds.entries()]
      .sort(([a], [b]) => a - b)
      .map(([round, items]) => ({ round, candidates: items })),
  };
}

function candidateView(c: ImprovementCandidateEntity, reader: Reader) {
  return {
    id: c.id,
    index: c.index,
    parentVersionId: c.parentVersionId,
    parentWhy: c.parentWhy,
    editKind: c.editKind,
    model: c.model,
    usage: c.usage,
    costUsd: c.costUsd,
    versionId: c.versionId,
    status: c.status,
    utility: c.utility,
    decision: c.decision,
    feedback: c.feedback,
    ...(reader === 'admin' ? { prompt: c.prompt } : {}),
  };
}
