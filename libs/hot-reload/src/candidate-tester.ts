import type { CapabilityUsage, CaseFixtures, CaseResult, NewTestCase } from '@seed/code-store';
import {
  CAPABILITY_ERROR_CODES,
  type CapabilitySession,
  InvokeError,
  type JsonValue,
  type LoadedVersion,
} from '@seed/runtime';
import { jsonEqual } from './gates.js';

/** A case's capabilities in the pipeline, and the calls nothing answered. */
export interface ServedCapabilities {
  readonly session: CapabilitySession | undefined;
  readonly unexpected: string[];
}

/** A fresh session per case: from its fixtures, or (a replayed input) from its recorded transcript. */
export type FixtureSessions = (
  fixtures: CaseFixtures | null | undefined,
  transcript?: unknown[],
) => ServedCapabilities;

/** The code of a case that made a capability call its fixtures do not answer. */
export const UNEXPECTED_CALL = 'unexpected_capability_call';

/**
 * Runs every case, then the replayed real inputs, against a loaded candidate. A replayed input the candidate
 * fails is tried on the active version too: one that fails there as well is dropped, since only a failure the
 * active version did not have is the candidate's (callers choose these inputs). Capabilities are served from
 * each case's fixtures, and to a replayed input from the transcript recorded with it; a replayed input making a
 * call its transcript lacks is inconclusive (left out).
 */
export async function testCandidate(
  candidate: LoadedVersion,
  cases: readonly NewTestCase[],
  replayInputs: ReadonlyArray<{ input: unknown; transcript?: unknown[] }>,
  active?: () => Promise<LoadedVersion | undefined>,
  fixtures?: FixtureSessions,
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await runCase(candidate, { ...c, kind: 'case' }, fixtures));
  for (const [i, { input, transcript }] of replayInputs.entries()) {
    const replay = {
      name: `replay-${i + 1}`,
      kind: 'replay' as const,
      input,
      hasExpected: false,
      transcript: transcript ?? [],
    };
    const result = await runCase(candidate, replay, fixtures);
    if (result.error?.code === UNEXPECTED_CALL) continue;
    if (!result.passed && active) {
      const version = await active();
      if (version && !(await runCase(version, replay, fixtures)).passed) continue;
    }
    results.push(result);
  }
  return results;
}

/** One case against one loaded version: its outcome, or the failure with what it got. */
export async function runCase(
  candidate: LoadedVersion,
  c: {
    name: string;
    kind: 'case' | 'replay';
    input: unknown;
    hasExpected: boolean;
    expected?: unknown;
    fixtures?: CaseFixtures | null;
    transcript?: unknown[];
  },
  fixtures?: FixtureSessions,
): Promise<CaseResult> {
  const served = fixtures?.(c.fixtures, c.transcript);
  const meter = metered(served?.session);
  const result = withUsage(
    await invokeCase(candidate, c, served && { ...served, session: meter.session }),
    meter.usage,
  );
  if (!served?.unexpected.length) return result;
  const message = [...new Set(served.unexpected)].join('; ');
  return {
    name: c.name,
    kind: c.kind,
    passed: false,
    latencyMs: result.latencyMs,
    input: c.input,
    error: { code: UNEXPECTED_CALL, message },
    ...(result.logs ? { logs: result.logs } : {}),
    ...(result.usage ? { usage: result.usage } : {}),
  };
}

/**
 * The session as the case sees it, counting each call that was answered: what the score's capability usage
 * is made of (so an objective can weigh cost). Model tokens are what the answer reported.
 */
function metered(session: CapabilitySession | undefined): {
  session: CapabilitySession | undefined;
  usage: CapabilityUsage;
} {
  const usage: CapabilityUsage = { calls: 0, fetches: 0, modelCalls: 0, modelTokens: 0 };
  if (!session) return { session, usage };
  return {
    usage,
    session: {
      granted: session.granted,
      maxCalls: session.maxCalls,
      ...(session.secretHandles ? { secretHandles: session.secretHandles } : {}),
      request: async (capability, op, args) => {
        const result = await session.request(capability, op, args);
        usage.calls++;
        if (capability === 'fetch') usage.fetches++;
        if (capability === 'model') {
          usage.modelCalls++;
          usage.modelTokens += reportedTokens(result);
        }
        return result;
      },
    },
  };
}

function reportedTokens(result: JsonValue | undefined): number {
  const usage = (
    result as { usage?: { totalTokens?: unknown; inputTokens?: unknown; outputTokens?: unknown } }
  )?.usage;
  if (!usage || typeof usage !== 'object') return 0;
  const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0);
  return count(usage.totalTokens) || count(usage.inputTokens) + count(usage.outputTokens);
}

function withUsage(result: CaseResult, usage: CapabilityUsage): CaseResult {
  return usage.calls > 0 ? { ...result, usage: { ...usage } } : result;
}

async function invokeCase(
  candidate: LoadedVersion,
  c: { name: string; kind: 'case' | 'replay'; input: unknown; hasExpected: boolean; expected?: unknown },
  served: ServedCapabilities | undefined,
): Promise<CaseResult> {
  const started = performance.now();
  try {
    const { output, logs } = await candidate.invoke(c.input, {
      captureLogs: true,
      capabilities: served?.session,
    });
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
    // so is a capability failure the module let escape: in the pipeline only fixtures answer, never an outage
    if (
      !(error instanceof InvokeError) ||
      !(error.moduleFault || error.code === 'invalid_input' || isCapabilityFailure(error))
    )
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

function isCapabilityFailure(error: InvokeError): boolean {
  return (CAPABILITY_ERROR_CODES as readonly string[]).includes(error.code);
}
