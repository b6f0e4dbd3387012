import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import {
  CodeStoreRepository,
  type ImprovementCandidateEntity,
  type ImprovementRunEntity,
  type ModuleEntity,
  type RunStopReason,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { activationDecision, ActivationService } from '@seed/hot-reload';
import { PermanentJobFailure } from '@seed/jobs';
import { boundedAll } from './bounded.js';
import { stopReason, type StopReason } from './budget.js';
import { CandidateRunner, type Outcome, type RoundContext } from './candidate-runner.service.js';
import { CostGate } from './cost-gate.js';
import { RoundSources } from './duplicates.js';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';
import { activeParent, chooseParents } from './parent-selection.js';
import { type CallEstimate, TokenGate } from './token-gate.js';

/**
 * Runs an improvement run's rounds: parents from the active version or the archive (DGM), candidates of a
 * round generated and evaluated concurrently (bounded), diff edits with a rewrite fallback, normalised
 * duplicates skipped, the best ready candidate by utility activated as a compare-and-swap against the
 * version active when the round started (or held), until a stop reason. Every step is a row, so a run
 * re-delivered after a crash resumes at its round: candidates already recorded are not generated again.
 */
@Injectable()
export class ImprovementEngine {
  private readonly logger = new Logger('ImprovementEngine');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly runs: ImprovementRunsRepository,
    private readonly candidates: CandidateRunner,
    private readonly activation: ActivationService,
    private readonly bus: ClusterBus,
  ) {}

  async run(runId: string, signal: AbortSignal, random: () => number = Math.random): Promise<RunStopReason> {
    let bestUtility = -Infinity;
    let withoutProgress = 0;
    let solved = false;
    let budgetExhausted = false;
    for (;;) {
      const run = await this.runs.find(runId);
      // Deleted with its module: nothing is left to improve.
      if (!run) throw new PermanentJobFailure(`improvement run ${runId} does not exist`);
      if (run.state === 'finished') return run.stopReason ?? 'failed';
      const module = await this.store.getModuleById(run.moduleId);
      const reason = await this.stopReasonOf(run, module, { solved, withoutProgress, budgetExhausted });
      if (reason) return this.finish(run, module, reason);
      if (signal.aborted) throw new Error('shutting down');
      const best = await this.round(run, module, run.roundsDone + 1, signal, random);
      solved = best.solved;
      budgetExhausted = best.budgetExhausted;
      if (best.utility > bestUtility + 1e-9) {
        bestUtility = best.utility;
        withoutProgress = 0;
      } else withoutProgress++;
    }
  }

  private async stopReasonOf(
    run: ImprovementRunEntity,
    module: ModuleEntity,
    progress: { solved: boolean; withoutProgress: number; budgetExhausted: boolean },
  ): Promise<StopReason | null> {
    const { agent } = this.config.integrations;
    const now = Date.now();
    return stopReason({
      roundsDone: run.roundsDone,
      rounds: run.options.rounds,
      tokens: run.tokens,
      budgetExhausted: progress.budgetExhausted,
      costUsd: run.costUsd,
      elapsedMs: now - run.createdAt.getTime(),
      budget: run.options.budget,
      moduleCostTodayUsd: await this.moduleCostToday(module.id),
      moduleDailyCostUsd: agent.dailyCostUsd,
      solved: progress.solved,
      roundsWithoutProgress: progress.withoutProgress,
      patience: agent.patience,
      cancelled: run.cancelRequested,
      enabled: agent.enabled && module.settings.agent?.enabled !== false,
    });
  }

  private async round(
    run: ImprovementRunEntity,
    module: ModuleEntity,
    round: number,
    signal: AbortSignal,
    random: () => number,
  ): Promise<{ solved: boolean; utility: number; budgetExhausted: boolean }> {
    const activeAtStart = module.activeVersionId;
    const active = activeAtStart ? await this.store.findVersion(activeAtStart) : null;
    if (!active) throw new Error(`module ${module.name} has no active version`);
    const { candidatesPerRound, parentSelection } = run.options;
    const recorded = await this.runs.candidatesOf(run.id);
    const existing = recorded.filter((c) => c.round === round);
    const ctx: RoundContext = {
      run,
      module,
      round,
      signal,
      // What this round's recorded candidates spent is not in the run's tally yet: it is added as the round ends.
      tokens: new TokenGate(
        run.options.budget.maxTokens,
        run.tokens + existing.reduce((sum, c) => sum + tokensOf(c), 0),
        largestCall(recorded),
      ),
      cost: await this.costGate(run, module, existing, recorded),
      sources: new RoundSources(existing),
    };
    const parents =
      parentSelection === 'archive'
        ? chooseParents(await this.runs.archive(module.id, module.settings), candidatesPerRound, random)
        : Array.from({ length: candidatesPerRound }, () =>
            activeParent({ versionId: active.id, seq: active.seq }),
          );
    const tasks = parents.map((parent, index) => async (): Promise<Outcome> => {
      const done = existing.find((c) => c.index === index);
      if (done) return this.candidates.resume(done, run, signal);
      return this.candidates.start(ctx, index, parent);
    });
    const outcomes = await boundedAll(tasks, this.config.integrations.agent.candidateConcurrency);
    const decided = await this.decide(run, module, activeAtStart, outcomes);
    const totals = outcomes.reduce(
      (sum, o) => ({ tokens: sum.tokens + tokensOf(o.candidate), cost: sum.cost + o.candidate.costUsd }),
      { tokens: 0, cost: 0 },
    );
    const fresh = (await this.runs.find(run.id))!;
    await this.runs.update(run.id, {
      roundsDone: round,
      tokens: fresh.tokens + totals.tokens,
      costUsd: fresh.costUsd + totals.cost,
      ...(decided.activatedVersionId ? { activatedVersionId: decided.activatedVersionId } : {}),
    });
    void this.bus.publish({
      type: 'improvement.round',
      module: module.name,
      runId: run.id,
      round,
      candidates: outcomes.length,
      evaluated: outcomes.filter((o) => o.version).length,
      ready: outcomes.filter((o) => o.candidate.status === 'ready' || o.candidate.status === 'active').length,
      ...(decided.activatedVersionId ? { activatedVersionId: decided.activatedVersionId } : {}),
    });
    return { ...decided, budgetExhausted: outcomes.some((o) => o.candidate.status === 'skipped') };
  }

  /**
   * The round's cost gate: what is left of the run's maxCostUsd and of the module's daily limit, whichever is
   * less (one run per module runs at a time, so no other run spends the daily one meanwhile).
   */
  private async costGate(
    run: ImprovementRunEntity,
    module: ModuleEntity,
    existing: readonly ImprovementCandidateEntity[],
    recorded: readonly ImprovementCandidateEntity[],
  ): Promise<CostGate> {
    const { agent } = this.config.integrations;
    const limits: Array<{ left: number; what: string }> = [];
    if (run.options.budget.maxCostUsd > 0) {
      // What this round's recorded candidates spent is not in the run's tally yet, as for tokens.
      const spent = run.costUsd + existing.reduce((sum, c) => sum + c.costUsd, 0);
      limits.push({ left: run.options.budget.maxCostUsd - spent, what: "the run's cost budget" });
    }
    if (agent.dailyCostUsd > 0)
      limits.push({
        left: agent.dailyCostUsd - (await this.moduleCostToday(module.id)),
        what: "the module's daily cost budget (AGENT_DAILY_COST_USD)",
      });
    const tightest = limits.sort((a, b) => a.left - b.left)[0];
    return new CostGate({
      limitUsd: tightest?.left ?? null,
      what: tightest?.what ?? '',
      price: agent.prices[run.options.model] ?? null,
      maxOutputTokens: agent.maxOutputTokens,
      largestCallUsd: dearestCall(recorded),
    });
  }

  private async moduleCostToday(moduleId: string): Promise<number> {
    if (this.config.integrations.agent.dailyCostUsd <= 0) return 0;
    const dayStart = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    return this.runs.costSince(moduleId, dayStart);
  }

  /**
   * The round's decision: the ready candidate with the best utility goes live as a compare-and-swap against
   * the version active when the round started, or is held when the module's policy asks for approval.
   */
  private async decide(
    run: ImprovementRunEntity,
    module: ModuleEntity,
    activeAtStart: string | null,
    outcomes: Outcome[],
  ): Promise<{ solved: boolean; utility: number; activatedVersionId?: string }> {
    const ready = outcomes
      .filter((o) => o.candidate.status === 'ready' && o.version)
      .sort((a, b) => (b.candidate.utility ?? 0) - (a.candidate.utility ?? 0));
    const bestUtility = Math.max(-1, ...outcomes.map((o) => o.candidate.utility ?? -1));
    const [best, ...rest] = ready;
    for (const other of rest)
      await this.runs.updateCandidate(other.candidate.id, {
        decision: `held at ready: utility ${other.candidate.utility} below the round's best ${best.candidate.utility}`,
      });
    if (!best) return { solved: false, utility: bestUtility };
    const fresh = await this.store.getModuleById(module.id);
    const policy = activationDecision({
      activateRequested: true,
      dryRun: false,
      authorRole: 'agent',
      settings: fresh.settings,
    });
    if (policy !== 'activate') {
      await this.runs.updateCandidate(best.candidate.id, {
        decision: 'held for approval: the module requires it',
      });
      return { solved: true, utility: bestUtility };
    }
    const result = await this.activation.activateIfActive(module.name, best.version!, activeAtStart);
    if (result.activated) {
      await this.runs.updateCandidate(best.candidate.id, {
        status: 'active',
        decision: `activated: best utility ${best.candidate.utility} of the round`,
      });
      return { solved: true, utility: bestUtility, activatedVersionId: best.version!.id };
    }
    await this.runs.updateCandidate(best.candidate.id, {
      decision: `held at ready: the active version changed during the round (now ${result.fromVersionId ?? 'none'})`,
    });
    return { solved: false, utility: bestUtility };
  }

  private async finish(
    run: ImprovementRunEntity,
    module: ModuleEntity,
    reason: StopReason,
  ): Promise<RunStopReason> {
    await this.runs.update(run.id, { state: 'finished', stopReason: reason, finishedAt: new Date() });
    return this.announce(run.id, module.name, reason);
  }

  /**
   * Ends a run whose job failed for good (an infrastructure error, or a model that cannot be used), or whose job
   * was lost (`job_lost`), and announces it; false when it was not running (another node ended it first).
   */
  async fail(
    runId: string,
    why: string,
    reason: Extract<RunStopReason, 'failed' | 'job_lost'> = 'failed',
  ): Promise<boolean> {
    const run = await this.runs.find(runId);
    if (!run || !(await this.runs.fail(runId, reason))) return false;
    const module = await this.store.getModuleById(run.moduleId);
    await this.announce(runId, module.name, reason, why);
    return true;
  }

  private async announce(
    runId: string,
    module: string,
    reason: RunStopReason,
    why?: string,
  ): Promise<RunStopReason> {
    const run = (await this.runs.find(runId))!;
    const candidates = (await this.runs.candidatesOf(runId)).length;
    void this.bus.publish({
      type: 'improvement.done',
      module,
      runId,
      stopReason: reason,
      rounds: run.roundsDone,
      candidates,
      ...(run.activatedVersionId ? { activatedVersionId: run.activatedVersionId } : {}),
    });
    this.logger.log(
      `${module}: improvement run ${runId} stopped (${reason}${why ? `: ${why}` : ''}) after ${run.roundsDone} round(s)`,
    );
    return reason;
  }
}

/** What the run's dearest answered call cost (null while none answered), for an unpriced model's cost gate. */
function dearestCall(candidates: readonly ImprovementCandidateEntity[]): number | null {
  const answered = candidates.filter((c) => tokensOf(c) > 0 || c.costUsd > 0);
  return answered.length ? Math.max(...answered.map((c) => c.costUsd)) : null;
}

function tokensOf(c: ImprovementCandidateEntity): number {
  return (c.usage?.inputTokens ?? 0) + (c.usage?.outputTokens ?? 0);
}

/**
 * What the run's dearest candidate reported, as the estimate of a model call (one that retried after a failed
 * diff counts both calls: an estimate on the safe side).
 */
function largestCall(candidates: readonly ImprovementCandidateEntity[]): CallEstimate | null {
  let largest: CallEstimate | null = null;
  for (const c of candidates) {
    const tokens = tokensOf(c);
    if (tokens > 0 && (!largest || tokens > largest.tokens))
      largest = { tokens, inputTokens: c.usage?.inputTokens ?? 0 };
  }
  return largest;
}
