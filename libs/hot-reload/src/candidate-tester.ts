import type { CaseResult, TestCaseEntity } from '@seed/code-store';
import { InvokeError, type LoadedVersion } from '@seed/runtime';
import { jsonEqual } from './gates.js';

/** Runs every stored case, then the replayed real inputs, against a loaded candidate. */
export async function testCandidate(
  candidate: LoadedVersion,
  cases: TestCaseEntity[],
  replayInputs: unknown[],
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    results.push(
      await runCase(candidate, {
        name: c.name,
        kind: 'case',
        input: c.input,
        hasExpected: c.hasExpected,
        expected: c.expected,
      }),
    );
  }
  for (const [i, input] of replayInputs.entries()) {
    results.push(
      await runCase(candidate, { name: `replay-${i + 1}`, kind: 'replay', input, hasExpected: false }),
    );
  }
  return results;
}

async function runCase(
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
    if (!(error instanceof InvokeError) || !error.moduleFault) throw error;
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
