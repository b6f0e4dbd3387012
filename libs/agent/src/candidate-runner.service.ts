import { Injectable } from '@nestjs/common';
import {
  CodeStoreRepository,
  type CandidateStatus,
  type ImprovementCandidateEntity,
  type ImprovementRunEntity,
  type ModuleEntity,
  type ModuleVersionEntity,
} from '@seed/code-store';
import { HotReloadError, SubmissionsService, utility } from '@seed/hot-reload';
import { feedbackFor } from '@seed/integrations';
import { CandidateGenerator } from './candidate-generator.service.js';
import type { CostGate } from './cost-gate.js';
import { ArchivedSources, type RoundSources } from './duplicates.js';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';
import { normalisedHash } from './normalise.js';
import type { ParentChoice } from './parent-selection.js';
import type { TokenGate } from './token-gate.js';

export type Outcome = { candidate: ImprovementCandidateEntity; version: ModuleVersionEntity | null };

/** What the candidates of one round share. */
export interface RoundContext {
  run: ImprovementRunEntity;
  module: ModuleEntity;
  round: number;
  signal: AbortSignal;
  tokens: TokenGate;
  cost: CostGate;
  sources: RoundSources;
}

/**
 * One candidate of a round, as a row at each step: generated → duplicate check (against the module's versions
 * and the round's other candidates) → submitted as a version held at `ready` → its verdict and utility. A
 * candidate recorded before a crash resumes at its step.
 */
@Injectable()
export class CandidateRunner {
  constructor(
    private readonly store: CodeStoreRepository,
    private readonly runs: ImprovementRunsRepository,
    private readonly submissions: SubmissionsService,
    private readonly generator: CandidateGenerator,
    private readonly archived: ArchivedSources,
  ) {}

  async start(ctx: RoundContext, index: number, parent: ParentChoice): Promise<Outcome> {
    const { run, module, round } = ctx;
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
    const generated = await this.generator.generate({
      run,
      module,
      parent: parentVersion,
      round,
      tokens: ctx.tokens,
      cost: ctx.cost,
      signal: ctx.signal,
    });
    const spent = { prompt: generated.prompt, usage: generated.usage, costUsd: generated.costUsd };
    if ('failure' in generated)
      return settle(generated.status, {
        ...spent,
        editKind: generated.editKind,
        ...(generated.status === 'skipped'
          ? { decision: generated.failure }
          : { feedback: [generated.failure] }),
      });
    const hash = await normalisedHash(generated.source);
    const inRound = ctx.sources.claim(hash, index);
    const duplicateOf =
      inRound !== null
        ? { what: `candidate ${inRound + 1} of this round`, feedback: 'another candidate of the same round' }
        : await this.archived
            .versionWith(module.id, hash)
            .then((seq) => (seq === null ? null : { what: `version ${seq}`, feedback: `version ${seq}` }));
    if (duplicateOf)
      return settle('duplicate', {
        ...spent,
        editKind: generated.editKind,
        normalisedSha256: hash,
        decision: `skipped: same normalised source as ${duplicateOf.what}`,
        feedback: [`identical (once normalised) to ${duplicateOf.feedback}: propose a source that differs`],
      });
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
    const patch = {
      ...spent,
      status: 'evaluating' as const,
      editKind: generated.editKind,
      normalisedSha256: hash,
      versionId: submission.versionId,
    };
    await this.runs.updateCandidate(row.id, patch);
    Object.assign(row, patch);
    return this.resume(row, run, ctx.signal);
  }

  /** Waits for a submitted candidate's verdict and records it with its utility. */
  async resume(
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
}
