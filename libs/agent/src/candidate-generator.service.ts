import { Inject, Injectable } from '@nestjs/common';
import {
  CodeStoreRepository,
  type CandidateStatus,
  type ImprovementRunEntity,
  type ModuleEntity,
  type ModuleVersionEntity,
  previewText,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import {
  buildPrompt,
  IntegrationError,
  ModelRegistry,
  type PreviousAttempt,
  RecentErrors,
  reportedCostUsd,
} from '@seed/integrations';
import { PermanentJobFailure } from '@seed/jobs';
import { MODULE_SDK_DTS } from '@seed/runtime';
import { generateText, NoObjectGeneratedError, Output } from 'ai';
import { z } from 'zod';
import { callCostUsd, type Usage } from './budget.js';
import { withEditInstruction } from './engine-prompt.js';
import type { CostGate } from './cost-gate.js';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';
import { applyBlocks, applyFeedback, parseBlocks } from './search-replace.js';
import type { TokenGate } from './token-gate.js';

const answerSchema = z.object({
  source: z.string().min(1).describe('the complete new source, or SEARCH/REPLACE blocks against the parent'),
  rationale: z.string().describe('why this change reaches the goal, in a few sentences'),
});

/** The candidates the next prompt tells of: those that failed (a skipped one was never asked). */
const FAILED = new Set<CandidateStatus>(['rejected', 'duplicate', 'invalid_output', 'edit_failed']);

/** Errors no retry can fix: the model cannot be reached as configured. */
const CONFIGURATION_ERRORS = new Set([
  'missing_api_key',
  'unknown_provider',
  'invalid_model',
  'cli_not_found',
]);

/** What the model calls for one candidate cost, and the prompt they were asked (admins see it). */
export interface Spent {
  costUsd: number;
  usage: Usage;
  prompt: string;
}

export type Generated = Spent &
  (
    | { source: string; rationale: string; editKind: 'diff' | 'rewrite' }
    | { failure: string; status: CandidateStatus; editKind: 'diff' | 'rewrite' | null }
  );

export interface GenerateInput {
  run: ImprovementRunEntity;
  module: ModuleEntity;
  parent: ModuleVersionEntity;
  round: number;
  tokens: TokenGate;
  cost: CostGate;
  signal: AbortSignal;
}

/**
 * A candidate's source from the model: the prompt (never a held-out case), the call within the run's time and
 * token budgets, and the answer applied to the parent. A diff that does not apply is fed back verbatim, and in
 * `auto` the model is asked once more for a full rewrite.
 */
@Injectable()
export class CandidateGenerator {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly runs: ImprovementRunsRepository,
    private readonly models: ModelRegistry,
    private readonly recentErrors: RecentErrors,
  ) {}

  async generate(input: GenerateInput): Promise<Generated> {
    const base = await this.basePrompt(input.run, input.module, input.parent, input.round);
    const mode = input.run.options.edit;
    const first = await this.ask(input, base, mode);
    if ('failure' in first) return first;
    const blocks = parseBlocks(first.source);
    if (blocks.length === 0) return { ...first, editKind: 'rewrite' };
    const applied = applyBlocks(input.parent.source, blocks);
    if (applied.ok) return { ...first, source: applied.source, editKind: 'diff' };
    const feedback = applyFeedback(applied);
    const failedDiff = {
      ...first,
      editKind: 'diff' as const,
      failure: feedback,
      status: 'edit_failed' as const,
    };
    if (mode !== 'auto') return failedDiff;
    const retry = await this.ask(
      input,
      base,
      'rewrite-after-failed-diff',
      `Your previous answer's edit failed. ${feedback}`,
    );
    const spent: Spent = {
      costUsd: first.costUsd + retry.costUsd,
      usage: {
        inputTokens: first.usage.inputTokens + retry.usage.inputTokens,
        outputTokens: first.usage.outputTokens + retry.usage.outputTokens,
      },
      prompt: `${first.prompt}\n\n----- after the failed diff -----\n\n${retry.prompt}`,
    };
    // Out of tokens for the rewrite: the failed diff is the candidate's end.
    if ('failure' in retry)
      return retry.status === 'skipped' ? { ...failedDiff, ...spent } : { ...retry, ...spent };
    if (parseBlocks(retry.source).length) return { ...failedDiff, ...spent };
    return { ...retry, ...spent, editKind: 'rewrite' };
  }

  /**
   * One model call, once the token gate and then the cost gate let it start (a call waiting on the cost gate
   * holds its token reservation, never the other way round, so the two cannot wait on each other); what the
   * model got wrong is a failure, not an error.
   */
  private async ask(
    input: GenerateInput,
    base: { system: string; prompt: string },
    mode: Parameters<typeof withEditInstruction>[1],
    feedback?: string,
  ): Promise<Generated> {
    const { run, signal } = input;
    const prompt = withEditInstruction(base.prompt, mode, feedback);
    const record = `${base.system}\n\n${prompt}`;
    const none = { costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 }, prompt: record, editKind: null };
    const grant = await input.tokens.acquire();
    if (!grant)
      return { ...none, status: 'skipped', failure: "not generated: the run's token budget is spent" };
    const costGrant = await input.cost.acquire(record);
    if (!costGrant) {
      grant.release(none.usage);
      return { ...none, status: 'skipped', failure: `not generated: ${input.cost.what} is spent` };
    }
    const maxOutputTokens = lowest(grant.maxOutputTokens, costGrant.maxOutputTokens);
    const budgetMs =
      run.options.budget.maxMs > 0
        ? run.createdAt.getTime() + run.options.budget.maxMs - Date.now()
        : 3_600_000;
    let usage = none.usage;
    let costUsd = 0;
    let answered = false;
    try {
      const result = await generateText({
        model: this.models.resolve(run.options.model),
        system: base.system,
        prompt,
        output: Output.object({ schema: answerSchema, name: 'candidate' }),
        ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
        abortSignal: AbortSignal.any([AbortSignal.timeout(Math.max(1, budgetMs)), signal]),
      });
      usage = { inputTokens: result.usage.inputTokens ?? 0, outputTokens: result.usage.outputTokens ?? 0 };
      answered = true;
      costUsd = callCostUsd({
        model: run.options.model,
        usage,
        reportedUsd: reportedCostUsd(result.providerMetadata),
        prices: this.config.integrations.agent.prices,
      });
      return {
        source: result.output.source,
        rationale: result.output.rationale,
        editKind: 'rewrite',
        costUsd,
        usage,
        prompt: record,
      };
    } catch (error) {
      if (signal.aborted) throw error;
      if (NoObjectGeneratedError.isInstance(error) || isIntegrationError(error, 'malformed_output')) {
        // The model answered, only not in shape: its usage counts against the budgets like any answer's.
        const reported = NoObjectGeneratedError.isInstance(error) ? error.usage : undefined;
        if (reported) {
          usage = { inputTokens: reported.inputTokens ?? 0, outputTokens: reported.outputTokens ?? 0 };
          answered = true;
          costUsd = callCostUsd({
            model: run.options.model,
            usage,
            reportedUsd: 0,
            prices: this.config.integrations.agent.prices,
          });
        }
        return {
          ...none,
          usage,
          costUsd,
          status: 'invalid_output',
          failure: `Your answer was not a JSON object {"source", "rationale"}: ${previewText((error as Error).message, 300)}`,
        };
      }
      if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError')
        return {
          ...none,
          status: 'invalid_output',
          failure: 'the time budget ran out while the model answered',
        };
      if (error instanceof IntegrationError && CONFIGURATION_ERRORS.has(error.code))
        throw new PermanentJobFailure(`model ${run.options.model}: ${error.message}`);
      throw error;
    } finally {
      // Failed or aborted too: the reservations end, settled to what the call reported.
      grant.release(usage);
      costGrant.release(costUsd, answered);
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
    const failed = earlier
      .filter(
        (c): c is typeof c & { status: PreviousAttempt['status'] } => c.round < round && FAILED.has(c.status),
      )
      .slice(-10);
    const seqs = await this.runs.versionSeqs(failed.flatMap((c) => (c.versionId ? [c.versionId] : [])));
    const last = failed.findLast((c) => c.versionId);
    const lastSource = last ? await this.store.findVersion(last.versionId!) : null;
    return buildPrompt({
      module: module.name,
      goal: run.goal,
      active: { seq: parent.seq, source: parent.source },
      // Held-out cases never reach a prompt: the candidate meets them only in the cascade.
      tests: tests.filter((t) => !t.hidden),
      goalCases: run.goalCases.filter((c) => !c.hidden),
      recentErrors,
      previous: failed.map((c, i): PreviousAttempt => ({
        attempt: i + 1,
        seq: c.versionId ? (seqs.get(c.versionId) ?? null) : null,
        status: c.status,
        feedback: c.feedback,
      })),
      ...(lastSource
        ? { lastCandidate: { attempt: failed.indexOf(last!) + 1, source: lastSource.source } }
        : {}),
      attempt: round,
      maxAttempts: run.options.rounds,
      sdk: MODULE_SDK_DTS,
      grants: module.settings.capabilities,
    });
  }
}

function lowest(...caps: Array<number | undefined>): number | undefined {
  const defined = caps.filter((cap): cap is number => cap !== undefined);
  return defined.length ? Math.min(...defined) : undefined;
}

function isIntegrationError(error: unknown, code: IntegrationError['code']): boolean {
  return error instanceof IntegrationError && error.code === code;
}
