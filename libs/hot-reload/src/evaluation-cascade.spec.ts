import { FixtureSession } from '@seed/capabilities';
import type { CaseFixtures } from '@seed/code-store';
import { loadConfig, type SandboxLimits } from '@seed/config';
import { compileModule, LoadedVersion } from '@seed/runtime';
import { type CascadeInput, runCascade } from './evaluation-cascade.js';

const LIMITS: SandboxLimits = {
  memoryMb: 24,
  cpuTimeoutMs: 2000,
  wallTimeoutMs: 5000,
  concurrency: 4,
  queueLimit: 4,
  maxOutputBytes: 10_000,
  maxLogBytes: 200,
  maxLogLines: 100,
};
const loaded: LoadedVersion[] = [];
afterEach(() => loaded.splice(0).forEach((v) => v.dispose()));

async function load(source: string, versionId = 'candidate'): Promise<LoadedVersion> {
  const compiled = await compileModule(source);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const version = await LoadedVersion.load({ module: 'm', versionId, code: compiled.code, limits: LIMITS });
  loaded.push(version);
  return version;
}

async function cascade(source: string, input: Partial<CascadeInput>) {
  const candidate = await load(source);
  const result = await runCascade({
    candidate,
    loadFresh: () => load(source),
    cases: [],
    replayInputs: [],
    active: async () => undefined,
    loadEvaluator: async () => {
      throw new Error('no evaluator in this test');
    },
    sourceBytes: source.length,
    settings: {},
    ...input,
  });
  return { result, candidate };
}

const DOUBLE = 'export default (x: number) => x * 2;';
const cases = (n: number, extra: object = {}) =>
  Array.from({ length: n }, (_, i) => ({
    name: `c${i}`,
    input: i,
    expected: i * 2,
    hasExpected: true,
    ...extra,
  }));

describe('the evaluation cascade', () => {
  it('stops at the first failing stage: a smoke failure runs nothing after it', async () => {
    const broken = 'export default (x: number) => (x === 0 ? 0 : x * 3);';
    const { result } = await cascade(broken, {
      cases: [...cases(5), ...cases(2, { hidden: true }).map((c) => ({ ...c, name: `h-${c.name}` }))],
      replayInputs: [{ input: 1 }, { input: 2 }],
    });
    expect(result.failure?.stage).toBe('smoke');
    expect(result.score.stageReached).toBe('smoke');
    expect(result.score.visible).toEqual({ passed: 1, total: 3 });
    expect(result.score.hidden).toBeUndefined();
    expect(result.report.cases).toHaveLength(3);
  });

  it('runs every stage for a good candidate and records its score', async () => {
    const { result } = await cascade(DOUBLE, {
      cases: [...cases(4), { name: 'held', input: 10, expected: 20, hasExpected: true, hidden: true }],
      replayInputs: [{ input: 7 }],
    });
    expect(result.failure).toBeUndefined();
    expect(result.score).toMatchObject({
      stageReached: 'replay',
      visible: { passed: 4, total: 4 },
      hidden: { passed: 1, total: 1 },
      replay: { passed: 1, total: 1 },
      sourceBytes: DOUBLE.length,
      utility: 1,
    });
  });

  it('keeps hidden cases out of the report and diagnostics, and runs them in their own isolate', async () => {
    // Remembers its inputs: had the hidden case run in this isolate, the replayed probe would throw.
    const remembering = `const seen: unknown[] = [];
      export default (x: unknown) => {
        if (x === 'probe' && seen.includes('secret-input')) throw new Error('saw the hidden input');
        seen.push(x);
        return x === 'secret-input' ? 'wrong' : x;
      };`;
    const { result } = await cascade(remembering, {
      cases: [
        { name: 'secret-name', input: 'secret-input', expected: 'right', hasExpected: true, hidden: true },
      ],
      replayInputs: [{ input: 'probe' }],
    });
    expect(result.failure?.stage).toBe('hidden');
    expect(result.failure?.diagnostics).toEqual([{ stage: 'test', message: '1 of 1 hidden case failed' }]);
    const everything = JSON.stringify(result);
    for (const secret of ['secret-name', 'secret-input', 'right', 'wrong'])
      expect(everything).not.toContain(secret);

    const passing = remembering.replace("'wrong'", "'right'");
    const { result: clean } = await cascade(passing, {
      cases: [
        { name: 'secret-name', input: 'secret-input', expected: 'right', hasExpected: true, hidden: true },
      ],
      replayInputs: [{ input: 'probe' }],
    });
    expect(clean.failure).toBeUndefined();
  });

  it('refuses a slower candidate when the objective weighs latency (the policy stage)', async () => {
    const active = await load(DOUBLE, 'active');
    const slow = `export default (x: number) => {
      const until = Date.now() + 40;
      while (Date.now() < until) {}
      return x * 2;
    };`;
    const settings = { objective: { latencyWeight: 0.5, latencyRefMs: 20 } };
    const { result } = await cascade(slow, { cases: cases(2), active: async () => active, settings });
    expect(result.failure?.stage).toBe('policy');
    expect(result.failure?.diagnostics[0].message).toMatch(/below the active version's/);
    expect(result.score.stageReached).toBe('policy');

    const { result: neutral } = await cascade(slow, {
      cases: cases(2),
      active: async () => active,
      settings: {},
    });
    expect(neutral.failure).toBeUndefined();
  });

  it('counts the capability calls the cases make, so an objective that weighs them prefers fewer', async () => {
    const { capabilities } = loadConfig({}, 'test');
    const grants = { fetch: { origins: ['https://rates.example.com'] }, model: {} };
    const fixtures: CaseFixtures = {
      fetch: [{ url: 'https://rates.example.com/rate', method: 'GET', response: { status: 200, body: '2' } }],
      model: [{ text: 'ok', tokens: 40 }],
    };
    const fixtureSessions = (f: CaseFixtures | null | undefined) =>
      new FixtureSession('m', grants, f, capabilities);
    const rated = (fetches: number) => `export default async (x: number, ctx: any) => {
      let rate = 0;
      for (let i = 0; i < ${fetches}; i++) rate = Number((await ctx.fetch('https://rates.example.com/rate')).body);
      await ctx.model.generate({ prompt: 'check ' + x });
      return x * rate;
    };`;
    const settings = { objective: { capabilityWeight: 0.3, capabilityRefCalls: 10 } };
    const score = async (source: string) =>
      (
        await cascade(source, {
          cases: cases(2).map((c) => ({ ...c, fixtures })),
          fixtures: fixtureSessions,
          settings,
        })
      ).result.score;
    const lean = await score(rated(1));
    const greedy = await score(rated(3));
    expect(lean).toMatchObject({
      ratio: 1,
      capabilityCalls: 2,
      capabilityUsage: { calls: 4, fetches: 2, modelCalls: 2, modelTokens: 80 },
    });
    expect(greedy).toMatchObject({ capabilityCalls: 4, capabilityUsage: { calls: 8, fetches: 6 } });
    expect(greedy.utility).toBeLessThan(lean.utility!);
  });

  it('judges a fuzzy case with an evaluator in its own isolate, passing at the threshold', async () => {
    // Scores a greeting by the share of expected words it contains: an answer need not be exact.
    const WORDS = `export default ({ output, expected }: { output: string; expected: string }) => {
      const want = expected.toLowerCase().split(' ');
      const got = new Set(String(output).toLowerCase().replace(/[^a-z ]/g, '').split(' '));
      const hits = want.filter((w) => got.has(w)).length;
      return { score: hits / want.length, reason: hits + ' of ' + want.length + ' words' };
    };`;
    const fuzzy = {
      name: 'greets',
      input: 'Ada',
      expected: 'hello dear ada',
      hasExpected: true,
      evaluator: { module: 'words', versionId: 'evaluator-v1', threshold: 0.6 },
    };
    // The stage disposes the evaluators it loaded: each cascade loads its own.
    const loadEvaluator = () => load(WORDS, 'evaluator-v1');
    const close = 'export default (name: string) => `Hello, ${name}!`;';
    const { result } = await cascade(close, { cases: [fuzzy], loadEvaluator });
    expect(result.failure).toBeUndefined();
    expect(result.score.stageReached).toBe('evaluators');
    expect(result.report.cases[0]).toMatchObject({
      passed: true,
      evaluation: { score: 2 / 3, reason: '2 of 3 words' },
    });

    const far = 'export default (name: string) => `Bye ${name}`;';
    const { result: refused } = await cascade(far, { cases: [fuzzy], loadEvaluator });
    expect(refused.failure?.stage).toBe('evaluators');
    expect(refused.failure?.diagnostics[0].message).toMatch(
      /scored 0\.33\d*, below its threshold .*1 of 3 words/,
    );
  });
});
