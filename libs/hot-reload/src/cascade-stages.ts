import type {
  CapabilityUsage,
  CascadeStage,
  CaseResult,
  CaseTally,
  Diagnostic,
  EvaluatorVerdict,
  GoalCase,
  TestReport,
  VersionScore,
} from '@seed/code-store';

/** Pure decisions of the evaluation cascade: which cases run in which stage, and what a stage's results mean. */

/** When no case is marked `smoke`, this many visible cases are the smoke stage. */
export const DEFAULT_SMOKE_CASES = 3;

export interface CasePlan<C extends GoalCase = GoalCase> {
  smoke: C[];
  visible: C[];
  hidden: C[];
  /** Cases an evaluator judges: the last, dearest stage. */
  evaluated: C[];
}

/**
 * Splits a suite into the cascade's case stages: smoke (the marked ones, else the first 3 visible), the rest
 * of the visible cases, then the held-out ones. Every case runs in exactly one stage.
 */
export function planCases<C extends GoalCase>(all: readonly C[]): CasePlan<C> {
  const evaluated = all.filter((c) => c.evaluator);
  const cases = all.filter((c) => !c.evaluator);
  const hidden = cases.filter((c) => c.hidden);
  const shown = cases.filter((c) => !c.hidden);
  const marked = shown.filter((c) => c.smoke);
  const smoke = marked.length ? marked : shown.slice(0, DEFAULT_SMOKE_CASES);
  const inSmoke = new Set(smoke);
  return { smoke, visible: shown.filter((c) => !inSmoke.has(c)), hidden, evaluated };
}

/**
 * A held-out case's result as it is kept: whether it passed, how long it took and how many capability calls it
 * made, nothing it could leak.
 */
export function redactHidden(result: CaseResult, index: number): CaseResult {
  return {
    name: `hidden-${index + 1}`,
    kind: 'hidden',
    passed: result.passed,
    latencyMs: result.latencyMs,
    ...(result.usage ? { usage: result.usage } : {}),
  };
}

export const NO_USAGE: CapabilityUsage = { calls: 0, fetches: 0, modelCalls: 0, modelTokens: 0 };

/** The capability usage of several case runs, added up. */
export function totalUsage(results: readonly CaseResult[]): CapabilityUsage {
  return results.reduce(
    (sum, r) => ({
      calls: sum.calls + (r.usage?.calls ?? 0),
      fetches: sum.fetches + (r.usage?.fetches ?? 0),
      modelCalls: sum.modelCalls + (r.usage?.modelCalls ?? 0),
      modelTokens: sum.modelTokens + (r.usage?.modelTokens ?? 0),
    }),
    NO_USAGE,
  );
}

export interface StageResults {
  stage: CascadeStage;
  results: CaseResult[];
}

export interface CascadeSummary {
  report: TestReport;
  score: VersionScore;
  /** The first stage with a failure, or undefined when every stage that ran passed. */
  failedStage?: CascadeStage;
}

/**
 * The score record of the stages that ran (the cascade stops at the first failing one, so later stages are
 * absent and their tallies missing): visible, hidden and replay apart, median and p95 latency and capability
 * calls per case over every case run.
 */
export function summariseCascade(
  stages: readonly StageResults[],
  lastStage: CascadeStage,
  sourceBytes: number,
): CascadeSummary {
  const all = stages.flatMap((s) => s.results);
  const tally = (pick: (s: StageResults) => boolean): CaseTally | undefined => {
    const results = stages.filter(pick).flatMap((s) => s.results);
    return results.length || stages.some(pick)
      ? { passed: results.filter((r) => r.passed).length, total: results.length }
      : undefined;
  };
  const passed = all.filter((c) => c.passed).length;
  const latencies = all.map((c) => c.latencyMs).sort((a, b) => a - b);
  const failed = stages.find((s) => s.results.some((r) => !r.passed));
  const usage = totalUsage(all);
  const visible = tally((s) => s.stage === 'smoke' || s.stage === 'visible' || s.stage === 'evaluators');
  const hidden = tally((s) => s.stage === 'hidden');
  const replay = tally((s) => s.stage === 'replay');
  return {
    report: { cases: all, passed, failed: all.length - passed },
    score: {
      passed,
      total: all.length,
      ratio: all.length === 0 ? 1 : passed / all.length,
      medianLatencyMs: quantile(latencies, 0.5),
      p95LatencyMs: quantile(latencies, 0.95),
      sourceBytes,
      capabilityCalls: all.length === 0 ? 0 : Math.round((usage.calls / all.length) * 1000) / 1000,
      capabilityUsage: usage,
      stageReached: failed?.stage ?? lastStage,
      ...(visible ? { visible } : {}),
      ...(hidden ? { hidden } : {}),
      ...(replay ? { replay } : {}),
    },
    ...(failed ? { failedStage: failed.stage } : {}),
  };
}

/**
 * What a failing stage tells the submitter (and the agent's next prompt): visible and replayed failures name
 * the case with its input, expectation and output; held-out failures are a count, nothing more.
 */
export function stageDiagnostics(stage: StageResults): Diagnostic[] {
  const failures = stage.results.filter((r) => !r.passed);
  if (stage.stage === 'hidden') {
    return [
      {
        stage: 'test',
        message: `${failures.length} of ${stage.results.length} hidden case${stage.results.length === 1 ? '' : 's'} failed`,
      },
    ];
  }
  return failures.slice(0, 10).map((c) => ({
    stage: 'test' as const,
    case: c.name,
    message: c.error
      ? `${c.kind === 'replay' ? 'replayed input' : 'case'} "${c.name}" failed in the ${stage.stage} stage: ${c.error.code}: ${c.error.message}`
      : c.evaluation
        ? `case "${c.name}" scored ${c.evaluation.score}, below its threshold (${stage.stage} stage): ${c.evaluation.reason}`
        : `case "${c.name}" returned an unexpected output (${stage.stage} stage)`,
    input: c.input,
    expected: c.expected,
    actual: c.actual,
    ...(c.error?.line ? { line: c.error.line } : {}),
  }));
}

/** An evaluator's answer as a verdict, or why it is not one. */
export function parseVerdict(output: unknown): EvaluatorVerdict | string {
  if (!output || typeof output !== 'object') return 'the evaluator did not return an object {score, reason}';
  const { score, reason } = output as Record<string, unknown>;
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1)
    return 'the evaluator returned no score between 0 and 1';
  return { score, reason: typeof reason === 'string' ? reason.slice(0, 500) : '' };
}

/** Nearest-rank quantile of sorted values, 0 for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  if (q === 0.5) {
    const mid = Math.floor(sorted.length / 2);
    const value = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return Math.round(value * 1000) / 1000;
  }
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return Math.round(sorted[rank - 1] * 1000) / 1000;
}
