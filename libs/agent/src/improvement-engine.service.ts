import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import {
  CodeStoreRepository,
  type CandidateStatus,
  type ImprovementCandidateEntity,
  type ImprovementRunEntity,
  type ModuleEntity,
  type ModuleVersionEntity,
  previewText,
  type RunStopReason,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import {
  activationDecision,
  ActivationService,
  HotReloadError,
  SubmissionsService,
  utility,
} from '@seed/hot-reload';
import { buildPrompt, feedbackFor, ModelRegistry, RecentErrors, reportedCostUsd } from '@seed/integrations';
import { MODULE_SDK_DTS } from '@seed/runtime';
import { generateText, NoObjectGeneratedError, Output } from 'ai';
import { z } from 'zod';
import { boundedAll } from './bounded.js';
import { callCostUsd, stopReason, type StopReason } from './budget.js';
import { withEditInstruction } from './engine-prompt.js';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';
import { normalisedHash } from './normalise.js';
import { activeParent, chooseParents, type ParentChoice } from './parent-selection.js';
import { applyBlocks, applyFeedback, parseBlocks } from './search-replace.js';

const answerSchema = z.object({
  source: z.string().min(1).describe('the complete new source, or SEARCH/REPLACE blocks against the parent'),
  rationale: z.string().describe('why this change reaches the goal, in a few sentences'),
});

interface Generated {
  source: string;
  rationale: string;
  editKind: 'diff' | 'rewrite';
  tokens: number;
  costUsd: number;
  usage: { inputTokens: number; outputTokens: number };
  prompt: string;
}

type Outcome = { candidate: ImprovementCandidateEntity; version: ModuleVersionEntity | null };

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
  /** Normalised hashes of versions, by version id: sources never change. */
  private readonly hashes = new Map<string, string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly runs: ImprovementRunsRepository,
    private readonly submissions: SubmissionsService,
    private readonly activation: ActivationService,
    private readonly models: ModelRegistry,
    private readonly recentErrors: RecentErrors,
    private readonly bus: ClusterBus,
  ) {}

  async run(runId: string, signal: AbortSignal, random: () => number = Math.random): Promise<RunStopReason> {
    let bestUtility = -Infinity;
    let withoutProgress = 0;
    let solved = false;
    for (;;) {
      const run = await this.runs.find(runId);
      if (!run) throw new Error(`improvement run ${runId} does not exist`);
      if (run.state === 'finished') return run.stopReason ?? 'failed';
      const module = await this.store.getModuleById(run.moduleId);
      const reason = await this.stopReasonOf(run, module, { solved, withoutProgress });
      if (reason) return this.finish(run, module, reason);
      if (signal.aborted) throw new Error('shutting down');
      const best = await this.round(run, module, run.roundsDone + 1, signal, random);
      solved = best.solved;
      if (best.utility > bestUtility + 1e-9) {
        bestUtility = best.utility;
        withoutProgress = 0;
      } else withoutProgress++;
    }
  }

  private async stopReasonOf(
    run: ImprovementRunEntity,
    module: ModuleEntity,
    progress: { solved: boolean; withoutProgress: number },
  ): Promise<StopReason | null> {
    const { agent } = this.config.integrations;
    const now = Date.now();
    const dayStart = new Date(Math.floor(now / 86_400_000) * 86_400_000);
    return stopReason({
      roundsDone: run.roundsDone,
      rounds: run.options.rounds,
      tokens: run.tokens,
      costUsd: run.costUsd,
      elapsedMs: now - run.createdAt.getTime(),
      budget: run.options.budget,
      moduleCostTodayUsd: agent.dailyCostUsd > 0 ? await this.runs.costSince(module.id, dayStart) : 0,
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
  ): Promise<{ solved: boolean; utility: number }> {
    const activeAtStart = module.activeVersionId;
    const active = activeAtStart ? await this.store.findVersion(activeAtStart) : null;
    if (!active) throw new Error(`module ${module.name} has no active version`);
    const { candidatesPerRound, parentSelection } = run.options;
    const existing = (await this.runs.candidatesOf(run.id)).filter((c) => c.round === round);
    const parents =
      parentSelection === 'archive'
        ? chooseParents(await this.runs.archive(module.id, module.settings), candidatesPerRound, random)
        : Array.from({ length: candidatesPerRound }, () =>
            activeParent({ versionId: active.id, seq: active.seq }),
          );
    const tasks = parents.map((parent, index) => async (): Promise<Outcome> => {
      const done = existing.find((c) => c.index === index);
      if (done) return this.resume(done, run, signal);
      return this.candidate(run, module, round, index, parent, signal);
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
    return decided;
  }

  /** One candidate: prompt → model → edit → duplicate check → pipeline (held at ready) → its score. */
  private async candidate(
    run: ImprovementRunEntity,
    module: ModuleEntity,
    round: number,
    index: number,
    parent: ParentChoice,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const parentVersion = await this.store.findVersion(parent.versionId);
    if (!parentVersion) throw new Error(`parent version ${parent.versionId} does not exist`);
    const row = await this.runs.addCandidate({
      runId: run.id,
      round,
      index,
      parentVersionId: parent.versionId,
      parentWhy: parent.why,
      prompt: '',
      model: run.options.model,
      status: 'generating',
    });
    const settle = async (status: CandidateStatus, patch: Partial<ImprovementCandidateEntity>) => {
      Object.assign(row, { status, ...patch });
      await this.runs.updateCandidate(row.id, { status, ...patch });
      return { candidate: row, version: null };
    };
    const generated = await this.generate(run, module, parentVersion, round, signal);
    const usage = {
      prompt: generated.prompt,
      usage: generated.usage,
      costUsd: generated.costUsd,
    };
    if ('failure' in generated)
      return settle(generated.status, {
        ...usage,
        editKind: generated.source ? generated.editKind : null,
        feedback: [generated.failure],
      });
    const hash = await normalisedHash(generated.source);
    const duplicateOf = await this.duplicateOf(module.id, hash);
    if (duplicateOf) {
      return settle('duplicate', {
        ...usage,
        editKind: generated.editKind,
        normalisedSha256: hash,
        decision: `skipped: same normalised source as version ${duplicateOf}`,
        feedback: [`identical (once normalised) to version ${duplicateOf}: propose a source that differs`],
      });
    }
    const submission = await this.submissions
      .submit(module.name, {
        source: generated.source,
        rationale: generated.rationale,
        author: `agent:${run.options.model}`,
        authorRole: 'agent',
        activate: false,
        dryRun: false,
        parentVersionId: parentVersion.id,
        idempotencyKey: `${run.id}:${round}:${index}`,
        goalCases: run.goalCases,
      })
      .catch((error: unknown) => {
        if (!(error instanceof HotReloadError && error.code === 'idempotency_conflict')) throw error;
        return error.details as { versionId: string; seq: number };
      });
    Object.assign(row, { ...usage, editKind: generated.editKind, normalisedSha256: hash });
    await this.runs.updateCandidate(row.id, {
      ...usage,
      status: 'evaluating',
      editKind: generated.editKind,
      normalisedSha256: hash,
      versionId: submission.versionId,
    });
    row.versionId = submission.versionId;
    row.status = 'evaluating';
    return this.resume(row, run, signal);
  }

  /** Waits for a submitted candidate's verdict and records it. */
  private async resume(
    row: ImprovementCandidateEntity,
    run: ImprovementRunEntity,
    signal: AbortSignal,
  ): Promise<Outcome> {
    if (!row.versionId || row.status !== 'evaluating') {
      return { candidate: row, version: row.versionId ? await this.store.findVersion(row.versionId) : null };
    }
    const deadline =
      run.options.budget.maxMs > 0
        ? run.createdAt.getTime() + run.options.budget.maxMs
        : Date.now() + 3_600_000;
    const version = await this.submissions.awaitOutcome(row.versionId, deadline, signal);
    if (signal.aborted) throw new Error('shutting down');
    if (!version) {
      await this.runs.updateCandidate(row.id, {
        status: 'rejected',
        decision: 'not evaluated within the time budget',
      });
      return { candidate: { ...row, status: 'rejected' }, version: null };
    }
    const module = await this.store.getModuleById(version.moduleId);
    const status: CandidateStatus =
      version.status === 'ready' ? 'ready' : version.status === 'active' ? 'active' : 'rejected';
    const score = version.score;
    const patch = {
      status,
      utility: score ? (score.utility ?? utility(score, module.settings.objective)) : null,
      feedback:
        status === 'rejected'
          ? feedbackFor({ status: version.status, diagnostics: version.diagnostics })
          : [],
    };
    await this.runs.updateCandidate(row.id, patch);
    return { candidate: Object.assign(row, patch), version };
  }

  /**
   * The model's answer as a source. A diff is applied to the parent; one that does not apply is fed back
   * verbatim, and in `auto` the model is asked once more for a full rewrite.
   */
  private async generate(
    run: ImprovementRunEntity,
    module: ModuleEntity,
    parent: ModuleVersionEntity,
    round: number,
    signal: AbortSignal,
  ): Promise<Generated | (Generated & { failure: string; status: CandidateStatus })> {
    const base = await this.basePrompt(run, module, parent, round);
    const mode = run.options.edit;
    const first = await this.ask(run, base, mode, signal);
    if ('failure' in first) return first;
    const blocks = parseBlocks(first.source);
    if (blocks.length === 0) return { ...first, editKind: 'rewrite' };
    const applied = applyBlocks(parent.source, blocks);
    if (applied.ok) return { ...first, source: applied.source, editKind: 'diff' };
    const feedback = applyFeedback(applied);
    if (mode !== 'auto') return { ...first, editKind: 'diff', failure: feedback, status: 'edit_failed' };
    const retry = await this.ask(
      run,
      base,
      'rewrite-after-failed-diff',
      signal,
      `Your previous answer's edit failed. ${feedback}`,
    );
    const spent = {
      tokens: first.tokens + retry.tokens,
      costUsd: first.costUsd + retry.costUsd,
      usage: {
        inputTokens: first.usage.inputTokens + retry.usage.inputTokens,
        outputTokens: first.usage.outputTokens + retry.usage.outputTokens,
      },
      prompt: `${first.prompt}\n\n----- after the failed diff -----\n\n${retry.prompt}`,
    };
    if ('failure' in retry) return { ...retry, ...spent };
    const again = parseBlocks(retry.source);
    if (again.length)
      return { ...retry, ...spent, editKind: 'diff', failure: feedback, status: 'edit_failed' };
    return { ...retry, ...spent, editKind: 'rewrite' };
  }

  private async ask(
    run: ImprovementRunEntity,
    base: { system: string; prompt: string },
    mode: Parameters<typeof withEditInstruction>[1],
    signal: AbortSignal,
    feedback?: string,
  ): Promise<Generated | (Generated & { failure: string; status: CandidateStatus })> {
    const prompt = withEditInstruction(base.prompt, mode, feedback);
    const record = `${base.system}\n\n${prompt}`;
    const budgetMs =
      run.options.budget.maxMs > 0
        ? run.createdAt.getTime() + run.options.budget.maxMs - Date.now()
        : 3_600_000;
    try {
      const result = await generateText({
        model: this.models.resolve(run.options.model),
        system: base.system,
        prompt,
        output: Output.object({ schema: answerSchema, name: 'candidate' }),
        abortSignal: AbortSignal.any([AbortSignal.timeout(Math.max(1, budgetMs)), signal]),
      });
      const usage = {
        inputTokens: result.usage.inputTokens ?? 0,
        outputTokens: result.usage.outputTokens ?? 0,
      };
      const costUsd = callCostUsd({
        model: run.options.model,
        usage,
        reportedUsd: reportedCostUsd(result.providerMetadata),
        prices: this.config.integrations.agent.prices,
      });
      return {
        source: result.output.source,
        rationale: result.output.rationale,
        editKind: 'rewrite',
        tokens: usage.inputTokens + usage.outputTokens,
        costUsd,
        usage,
        prompt: record,
      };
    } catch (error) {
      if (signal.aborted) throw error;
      const empty = {
        source: '',
        rationale: '',
        editKind: 'rewrite' as const,
        tokens: 0,
        costUsd: 0,
        usage: { inputTokens: 0, outputTokens: 0 },
        prompt: record,
      };
      if (NoObjectGeneratedError.isInstance(error))
        return {
          ...empty,
          status: 'invalid_output',
          failure: `Your answer was not a JSON object {"source", "rationale"}: ${previewText((error as Error).message, 300)}`,
        };
      if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError')
        return {
          ...empty,
          status: 'invalid_output',
          failure: 'the time budget ran out while the model answered',
        };
      throw error;
    }
  }

  private async basePrompt(
    run: ImprovementRunEntity,
    module: ModuleEntity,
    parent: ModuleVersionEntity,
    round: number,
  ): Promise<{ system: string; prompt: string }> {
    const [tests, recentErrors, earlier] = await Promise.all([
      this.store.listTests(module.id),
      this.recentErrors.list(module.name),
      this.runs.candidatesOf(run.id),
    ]);
    const previous = earlier
      .filter((c) => c.round < round && c.status !== 'ready' && c.status !== 'active')
      .slice(-10)
      .map((c, i) => ({
        attempt: i + 1,
        versionId: c.versionId,
        seq: null,
        status:
          c.status === 'rejected' || c.status === 'duplicate' || c.status === 'invalid_output'
            ? c.status
            : ('rejected' as const),
        feedback: c.feedback,
        costUsd: c.costUsd,
      }));
    return buildPrompt({
      module: module.name,
      goal: run.goal,
      active: { seq: parent.seq, source: parent.source },
      // Held-out cases never reach a prompt: the candidate meets them only in the cascade.
      tests: tests.filter((t) => !t.hidden),
      goalCases: run.goalCases.filter((c) => !c.hidden),
      recentErrors,
      previous,
      attempt: round,
      maxAttempts: run.options.rounds,
      sdk: MODULE_SDK_DTS,
    });
  }

  private async duplicateOf(moduleId: string, hash: string): Promise<number | null> {
    for (const v of await this.runs.recentSources(moduleId)) {
      let known = this.hashes.get(v.id);
      if (!known) {
        known = await normalisedHash(v.source);
        this.hashes.set(v.id, known);
      }
      if (known === hash) return v.seq;
    }
    return null;
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
    const fresh = (await this.runs.find(run.id))!;
    await this.runs.update(run.id, { state: 'finished', stopReason: reason, finishedAt: new Date() });
    const candidates = (await this.runs.candidatesOf(run.id)).length;
    void this.bus.publish({
      type: 'improvement.done',
      module: module.name,
      runId: run.id,
      stopReason: reason,
      rounds: fresh.roundsDone,
      candidates,
      ...(fresh.activatedVersionId ? { activatedVersionId: fresh.activatedVersionId } : {}),
    });
    this.logger.log(
      `${module.name}: improvement run ${run.id} stopped (${reason}) after ${fresh.roundsDone} round(s)`,
    );
    return reason;
  }
}

function tokensOf(c: ImprovementCandidateEntity): number {
  return (c.usage?.inputTokens ?? 0) + (c.usage?.outputTokens ?? 0);
}
