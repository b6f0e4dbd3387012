import type { CaseResult, NewTestCase } from '@seed/code-store';
import { InvokeError, type LoadedVersion } from '@seed/runtime';
import { jsonEqual } from './gates.js';

/**
 * Runs every case, then the replayed real inputs, against a loaded candidate. A replayed input the candidate
 * fails is tried on the active version too: one that fails there as well is dropped, since only a failure the
 * active version did not have is the candidate's (callers choose these inputs).
 */
export async function testCandidate(
  candidate: LoadedVersion,
  cases: readonly NewTestCase[],
  replayInputs: unknown[],
  active?: () => Promise<LoadedVersion | undefined>,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await runCase(candidate, { ...c, kind: 'case' }));
  for (const [i, input] of replayInputs.entries()) {
    const replay = { name: `replay-${i + 1}`, kind: 'replay' as const, input, hasExpected: false };
    const result = await runCase(candidate, replay);
    if (!result.passed && active) {
      const version = await active();
      if (version && !(await runCase(version, replay)).passed) continue;
    }
    results.push(result);
  }
  return results;
}

/** One case against one loaded version: its outcome, or the failure with what it got. */
export async function runCase(
  candidate: LoadedVersion,
  c: { name: string; kind: 'case' | 'replay'; input: unknown; hasExpected: boolean; expected?: unknown },
): Promise<CaseResult> {
  const started = performance.now();
  try {
    const { output, logs } = await candidate.invoke(c.input, { captureLogs: true });
    const latencyMs = round(performance.now() - started);
    const passed = !c.hasExpected || jsonEqual(output, c.expected);
    return {
      name: c.name,
      kind: c.kind,
      passed,
      latencyMs,
      ...(passed ? {} : { input: c.input, expected: c.expected, actual: output }),
      ...(logs.length && !passed ? { logs: [...logs] } : {}),
    };
  } catch (error) {
    // A refused input is a case result too: the case's input is the one under test.
    if (!(error instanceof InvokeError) || !(error.moduleFault || error.code === 'invalid_input'))
      throw error;
    return {
      name: c.name,
      kind: c.kind,
      passed: false,
      latencyMs: round(performance.now() - started),
      input: c.input,
      ...(c.hasExpected ? { expected: c.expected } : {}),
      error: { code: error.code, message: error.message, ...(error.line ? { line: error.line } : {}) },
      ...(error.logs?.length ? { logs: [...error.logs] } : {}),
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
