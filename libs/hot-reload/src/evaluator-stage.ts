import type { CaseEvaluator, CaseResult, GoalCase } from '@seed/code-store';
import { InvokeError, type LoadedVersion } from '@seed/runtime';
import { parseVerdict, redactHidden } from './cascade-stages.js';

/** Loads an evaluator's pinned version in an isolate of its own (the candidate can never reach it). */
export type EvaluatorLoader = (ref: CaseEvaluator) => Promise<LoadedVersion>;

/**
 * The cascade's evaluator stage: each case's output from the candidate (a fresh isolate for a hidden case) is
 * given to its evaluator as `{input, output, expected?}`; the case passes when the score reaches its threshold.
 * An evaluator that throws or answers nonsense fails the case: it is the admin's to fix, never the agent's.
 */
export async function runEvaluatorCases(
  candidate: LoadedVersion,
  loadFresh: () => Promise<LoadedVersion>,
  cases: readonly GoalCase[],
  loadEvaluator: EvaluatorLoader,
): Promise<CaseResult[]> {
  const evaluators = new Map<string, Promise<LoadedVersion>>();
  const results: CaseResult[] = [];
  let hiddenIndex = 0;
  try {
    for (const c of cases) {
      const ref = c.evaluator!;
      let evaluator = evaluators.get(ref.versionId);
      if (!evaluator) {
        evaluator = loadEvaluator(ref);
        evaluators.set(ref.versionId, evaluator);
      }
      let loaded: LoadedVersion;
      try {
        loaded = await evaluator;
      } catch (error) {
        const message = `evaluator ${ref.module} (version ${ref.versionId}) cannot be loaded: ${(error as Error).message}`;
        const result = failed(c, performance.now(), { code: 'evaluator_failed', message });
        results.push(c.hidden ? redactHidden(result, hiddenIndex++) : result);
        continue;
      }
      const subject = c.hidden ? await loadFresh() : candidate;
      try {
        const result = await judge(subject, loaded, c, ref);
        results.push(c.hidden ? redactHidden(result, hiddenIndex++) : result);
      } finally {
        if (subject !== candidate) subject.dispose();
      }
    }
  } finally {
    for (const loading of evaluators.values()) void loading.then((e) => e.dispose()).catch(() => undefined);
  }
  return results;
}

async function judge(
  subject: LoadedVersion,
  evaluator: LoadedVersion,
  c: GoalCase,
  ref: CaseEvaluator,
): Promise<CaseResult> {
  const started = performance.now();
  let output: unknown;
  try {
    output = (await subject.invoke(c.input, { captureLogs: false })).output;
  } catch (error) {
    if (!(error instanceof InvokeError) || !(error.moduleFault || error.code === 'invalid_input'))
      throw error;
    return failed(c, started, { code: error.code, message: error.message });
  }
  const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
  let verdict;
  try {
    const request = { input: c.input, output, ...(c.hasExpected ? { expected: c.expected } : {}) };
    verdict = parseVerdict((await evaluator.invoke(request, { captureLogs: false })).output);
  } catch (error) {
    if (!(error instanceof InvokeError)) throw error;
    verdict = `the evaluator failed: ${error.code}: ${error.message}`;
  }
  if (typeof verdict === 'string')
    return {
      ...failed(c, started, { code: 'evaluator_failed', message: verdict }),
      latencyMs,
      actual: output,
    };
  const passed = verdict.score >= ref.threshold;
  return {
    name: c.name,
    kind: 'case',
    passed,
    latencyMs,
    evaluation: verdict,
    ...(passed ? {} : { input: c.input, expected: c.expected, actual: output }),
  };
}

function failed(c: GoalCase, started: number, error: { code: string; message: string }): CaseResult {
  return {
    name: c.name,
    kind: 'case',
    passed: false,
    latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
    input: c.input,
    error,
  };
}
