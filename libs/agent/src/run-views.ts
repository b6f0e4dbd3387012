import type { ImprovementCandidateEntity, ImprovementRunEntity } from '@seed/code-store';
import type { JobView } from '@seed/jobs';

/** Pure: how runs read over HTTP. Prompts are admins' only; a hidden goal case is a count for the others. */

/** Who reads a run: prompts are admins' only. */
export type Reader = 'admin' | 'agent' | 'viewer';

/** A run without its rounds, as lists show it. */
export function summaryView(run: ImprovementRunEntity, module: string) {
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

/**
 * An improvement's queue job (GET /jobs/:jobId, as before runs were records): the job's state, with its run's
 * id and summary, the progress as rounds done of rounds, and the job's result ({runId, stopReason}) once done.
 */
export function jobView(id: string, job: JobView | null, run: ImprovementRunEntity, module: string) {
  return {
    id,
    kind: 'agent' as const,
    module,
    runId: run.id,
    state: job?.state ?? (run.state === 'finished' ? 'completed' : 'unknown'),
    progress:
      run.state === 'finished' ? 100 : Math.min(99, Math.round((run.roundsDone / run.options.rounds) * 100)),
    attempts: job?.attempts ?? 0,
    result: job?.result ?? null,
    failedReason: job?.failedReason ?? null,
    run: summaryView(run, module),
  };
}
