import type {
  CascadeStage,
  Diagnostic,
  GoalCase,
  ModuleSettings,
  TestReport,
  VersionScore,
} from '@seed/code-store';
import type { LoadedVersion } from '@seed/runtime';
import { type FixtureSessions, runCase, testCandidate } from './candidate-tester.js';
import {
  planCases,
  redactHidden,
  stageDiagnostics,
  type StageResults,
  summariseCascade,
} from './cascade-stages.js';
import { type EvaluatorLoader, runEvaluatorCases } from './evaluator-stage.js';
import { utility, utilityPolicy, weighsMoreThanCorrectness } from './utility.js';

export interface CascadeInput {
  /** The loaded candidate: smoke, visible and replay stages run here, and it is what activation warms. */
  candidate: LoadedVersion;
  /** A fresh isolate of the same code for the held-out cases, so their inputs never reach later stages. */
  loadFresh: () => Promise<LoadedVersion>;
  cases: readonly GoalCase[];
  replayInputs: ReadonlyArray<{ input: unknown; transcript?: unknown[] }>;
  /** Serves each case's capability calls from its fixtures (a replay's from its transcript): gates stay offline. */
  fixtures?: FixtureSessions;
  /** The live version, loaded on first use: for replayed failures and the utility policy. */
  active: () => Promise<LoadedVersion | undefined>;
  /** Loads a case's evaluator (its pinned version) in its own isolate. */
  loadEvaluator: EvaluatorLoader;
  sourceBytes: number;
  /** The live version's source size, for an objective that weighs size. */
  activeSourceBytes?: number;
  settings: ModuleSettings;
}

export interface CascadeOutcome {
  report: TestReport;
  score: VersionScore;
  /** Set when a stage failed: the cascade stopped there. */
  failure?: { stage: CascadeStage; diagnostics: Diagnostic[] };
}

/**
 * The case stages of the cascade, cheap first, the first failing stage ends it (compile and validate ran
 * before): smoke → visible → hidden (own isolate) → replay → evaluators → policy. The score record holds the
 * stage reached and the partial scores, so a rejected candidate still says how far it got.
 */
export async function runCascade(input: CascadeInput): Promise<CascadeOutcome> {
  const plan = planCases(input.cases);
  const stages: StageResults[] = [];
  const done = (last: CascadeStage, failure?: CascadeOutcome['failure']): CascadeOutcome => {
    const summary = summariseCascade(stages, last, input.sourceBytes);
    const score = { ...summary.score, utility: utility(summary.score, input.settings.objective) };
    return { report: summary.report, score, ...(failure ? { failure } : {}) };
  };
  const failed = (stage: StageResults) => stage.results.some((r) => !r.passed);
  const run = async (stage: CascadeStage, work: () => Promise<StageResults['results']>) => {
    const results: StageResults = { stage, results: await work() };
    stages.push(results);
    return failed(results) ? { stage, diagnostics: stageDiagnostics(results) } : undefined;
  };

  for (const [stage, cases] of [
    ['smoke', plan.smoke],
    ['visible', plan.visible],
  ] as const) {
    const failure = await run(stage, () =>
      testCandidate(input.candidate, cases, [], undefined, input.fixtures),
    );
    if (failure) return done(stage, failure);
  }
  if (plan.hidden.length) {
    const failure = await run('hidden', async () => {
      const fresh = await input.loadFresh();
      try {
        return (await testCandidate(fresh, plan.hidden, [], undefined, input.fixtures)).map(redactHidden);
      } finally {
        fresh.dispose();
      }
    });
    if (failure) return done('hidden', failure);
  }
  const replayFailure = await run('replay', () =>
    testCandidate(input.candidate, [], input.replayInputs, input.active, input.fixtures),
  );
  if (replayFailure) return done('replay', replayFailure);
  if (plan.evaluated.length) {
    const failure = await run('evaluators', () =>
      runEvaluatorCases(input.candidate, input.loadFresh, plan.evaluated, input.loadEvaluator),
    );
    if (failure) return done('evaluators', failure);
  }

  const policyFailure = await utilityGate(input, [...plan.smoke, ...plan.visible], stages);
  if (policyFailure) return done('policy', policyFailure);
  return done(
    weighsMoreThanCorrectness(input.settings.objective)
      ? 'policy'
      : plan.evaluated.length
        ? 'evaluators'
        : 'replay',
  );
}

/**
 * The activation policy's utility term: only when the objective weighs more than correctness, the live version
 * runs the same visible cases now, on this node, so both are measured alike.
 */
async function utilityGate(
  input: CascadeInput,
  cases: readonly GoalCase[],
  stages: readonly StageResults[],
): Promise<CascadeOutcome['failure']> {
  const { objective, policy } = input.settings;
  if (!weighsMoreThanCorrectness(objective) || cases.length === 0) return undefined;
  const active = await input.active();
  if (!active || active.versionId === input.candidate.versionId) return undefined;
  const activeResults = [];
  for (const c of cases) activeResults.push(await runCase(active, { ...c, kind: 'case' }, input.fixtures));
  const activeSummary = summariseCascade([{ stage: 'visible', results: activeResults }], 'visible', 0);
  const candidateSummary = summariseCascade(
    stages.filter((s) => s.stage === 'smoke' || s.stage === 'visible'),
    'visible',
    input.sourceBytes,
  );
  const verdict = utilityPolicy({
    candidate: candidateSummary.score,
    active: { ...activeSummary.score, sourceBytes: input.activeSourceBytes ?? input.sourceBytes },
    objective,
    policy,
  });
  return verdict.allowed
    ? undefined
    : { stage: 'policy', diagnostics: [{ stage: 'test', message: verdict.reason }] };
}
