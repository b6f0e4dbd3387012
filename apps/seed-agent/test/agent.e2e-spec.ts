import type { LanguageModelV4CallOptions, LanguageModelV4GenerateResult } from '@ai-sdk/provider';
import { SelfHealService } from '@seed/agent';
import { ModelRegistry } from '@seed/integrations';
import { MockLanguageModelV4 } from 'ai/test';
import { eventually, settledVersion, startTestApp, TestApp, TOKENS } from './harness';
import { openEventStream } from './support/event-stream';

const ADDER_V1 = 'export default (input: { a: number; b: number }) => ({ sum: input.a - input.b });';
const ADDER_BROKEN = 'export default (input: { a: number; b: number }) => {\n  return { sum: input.a + ;\n};';
const ADDER_WRONG = 'export default (input: { a: number; b: number }) => ({ sum: input.a * input.b });';
const ADDER_RIGHT = 'export default (input: { a: number; b: number }) => ({ sum: input.a + input.b });';

type Answer =
  | LanguageModelV4GenerateResult
  | ((options: LanguageModelV4CallOptions) => Promise<LanguageModelV4GenerateResult>);

/** A mock model that answers per module (read from the prompt) from a script, and keeps every prompt. */
class ScriptedModel {
  readonly scripts = new Map<string, Answer[]>();
  readonly prompts = new Map<string, string[]>();
  readonly model = new MockLanguageModelV4({
    provider: 'mock',
    modelId: 'mock',
    doGenerate: async (options: LanguageModelV4CallOptions) => {
      const text = promptText(options);
      const module = /^Module: (\S+)/m.exec(text)?.[1] ?? '?';
      this.prompts.set(module, [...(this.prompts.get(module) ?? []), text]);
      const next = this.scripts.get(module)?.shift();
      if (!next) throw new Error(`no scripted answer left for ${module}`);
      return typeof next === 'function' ? next(options) : next;
    },
  });

  script(module: string, answers: Answer[]): void {
    this.scripts.set(module, answers);
  }
}

function answer(source: string, costUsd?: number): LanguageModelV4GenerateResult {
  return {
    content: [{ type: 'text', text: JSON.stringify({ source, rationale: `proposal ${source.length}` }) }],
    finishReason: { unified: 'stop', raw: 'stop' },
    usage: {
      inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 10, text: 10, reasoning: 0 },
    },
    warnings: [],
    ...(costUsd !== undefined ? { providerMetadata: { mock: { costUsd } } } : {}),
  };
}

function promptText(options: LanguageModelV4CallOptions): string {
  return options.prompt
    .map((message) =>
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => ('text' in part ? part.text : '')).join(''),
    )
    .join('\n');
}

async function finishedRun(t: TestApp, runId: string, timeoutMs = 60_000) {
  return eventually(
    async () => {
      const run = await t.request('GET', `/improvements/${runId}`, undefined, { role: 'agent' });
      return run.body?.state === 'finished' ? run.body : undefined;
    },
    timeoutMs,
    `improvement run ${runId}`,
  );
}

type Candidate = { status: string; versionId: string | null; feedback: string[]; decision: string | null };
const candidatesOf = (run: { rounds: Array<{ candidates: Candidate[] }> }) =>
  run.rounds.flatMap((r) => r.candidates);

async function createModule(t: TestApp, name: string, source: string, tests: unknown[] = []) {
  const created = await t.request('POST', '/modules', { name, source, tests });
  expect(created.status).toBe(201);
  const version = await settledVersion(t, name, created.body.versionId);
  expect(version.status).toBe('active');
  return version.id as string;
}

describe('the improving agent (real app, mock model)', () => {
  let t: TestApp;
  const mock = new ScriptedModel();

  beforeAll(async () => {
    t = await startTestApp({
      AGENT_MODEL: 'mock',
      AGENT_DAILY_LIMIT: '1',
      AGENT_MAX_ATTEMPTS: '3',
      AGENT_COST_BUDGET_USD: '0.1',
    });
    t.app.get(ModelRegistry).register('mock', () => mock.model);
  });
  afterAll(() => t?.close());

  it('learns from the gates: compile error, failing case, then a version that goes live', async () => {
    const v1 = await createModule(t, 'adder', ADDER_V1);
    mock.script('adder', [answer(ADDER_BROKEN, 0.01), answer(ADDER_WRONG, 0.02), answer(ADDER_RIGHT, 0.03)]);
    const stream = await openEventStream(`${t.url}/events?module=adder`, TOKENS.viewer);
    try {
      const res = await t.request(
        'POST',
        '/modules/adder/improve',
        {
          goal: 'return the sum of a and b',
          tests: [{ name: 'adds', input: { a: 2, b: 3 }, expect: { sum: 5 } }],
          model: 'mock',
        },
        { role: 'agent' },
      );
      // A plain request is an improvement run of maxAttempts (here AGENT_MAX_ATTEMPTS) rounds of one candidate.
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        runId: expect.any(String),
        jobId: `agent-${res.body.runId}`,
        module: 'adder',
      });

      const run = await finishedRun(t, res.body.runId);
      expect(run).toMatchObject({
        module: 'adder',
        stopReason: 'solved',
        roundsDone: 3,
        options: { rounds: 3, candidatesPerRound: 1, parentSelection: 'active', edit: 'auto' },
      });
      expect(run.costUsd).toBeCloseTo(0.06);
      expect(candidatesOf(run).map((c) => c.status)).toEqual(['rejected', 'rejected', 'active']);
      // The run's queue job still answers at GET /jobs/:jobId, as the job of an improvement always did.
      const job = (await t.request('GET', `/jobs/${res.body.jobId}`, undefined, { role: 'viewer' })).body;
      expect(job).toMatchObject({
        kind: 'agent',
        module: 'adder',
        runId: res.body.runId,
        state: 'completed',
        progress: 100,
        result: { runId: res.body.runId, stopReason: 'solved' },
        run: { id: res.body.runId, stopReason: 'solved' },
      });

      const versions = (await t.request('GET', '/modules/adder/versions')).body.items;
      expect(
        versions.map((v: { seq: number; status: string; author: string }) => [v.seq, v.status, v.author]),
      ).toEqual([
        [4, 'active', 'agent:mock'],
        [3, 'rejected', 'agent:mock'],
        [2, 'rejected', 'agent:mock'],
        [1, 'retired', 'admin:admin'],
      ]);
      expect(versions.slice(0, 3).every((v: { parentId: string }) => v.parentId === v1)).toBe(true);
      expect(run.activatedVersionId).toBe(versions[0].id);
      expect(
        (await t.request('POST', '/modules/adder/invoke', { input: { a: 2, b: 3 } })).body.output,
      ).toEqual({
        sum: 5,
      });
      // The goal case joined the suite with the version that met it, for every later candidate.
      expect((await t.request('GET', '/modules/adder/tests')).body.items).toEqual([
        expect.objectContaining({
          name: 'adds',
          input: { a: 2, b: 3 },
          expect: { sum: 5 },
          createdBy: 'agent:mock',
        }),
      ]);

      const prompts = mock.prompts.get('adder')!;
      expect(prompts).toHaveLength(3);
      expect(prompts[0]).toContain('return the sum of a and b');
      expect(prompts[0]).toContain('sum: input.a - input.b');
      expect(prompts[0]).toContain('"adds": input {"a":2,"b":3} → expects {"sum":5}');
      expect(prompts[0]).not.toContain('earlier attempts');
      expect(prompts[1]).toMatch(/Attempt 1 \(version 2, rejected\):\n {2}- compile at line 2/);
      expect(prompts[1]).toContain('input.a + ;');
      expect(prompts[2]).toContain('Attempt 1 (version 2, rejected)');
      expect(prompts[2]).toMatch(/Attempt 2 \(version 3, rejected\):\n {2}- test: case "adds"/);
      expect(prompts[2]).toContain('expected {"sum":5}; got {"sum":6}');

      await eventually(async () =>
        stream.events.some((e) => e.type === 'improvement.done') ? true : undefined,
      );
      const runEvents = stream.events.filter((e) => e.type.startsWith('improvement.'));
      expect(runEvents.map((e) => [e.type, e.data.round ?? e.data.stopReason])).toEqual([
        ['improvement.round', 1],
        ['improvement.round', 2],
        ['improvement.round', 3],
        ['improvement.done', 'solved'],
      ]);
      expect(runEvents[3].data).toMatchObject({ module: 'adder', activatedVersionId: versions[0].id });

      const audit = (await t.request('GET', '/audit')).body.items;
      expect(audit).toContainEqual(
        expect.objectContaining({ actor: 'agent:agent', action: 'improve', target: 'adder', outcome: 'ok' }),
      );
    } finally {
      await stream.close();
    }
  });

  it('lets agents and admins improve, not viewers; refuses a module that opted out and too many attempts', async () => {
    const viewer = await t.request('POST', '/modules/adder/improve', { goal: 'x' }, { role: 'viewer' });
    expect(viewer.status).toBe(403);
    expect(
      (await t.request('POST', '/modules/adder/improve', { goal: 'x', maxAttempts: 4 })).body.error.code,
    ).toBe('invalid_request');
    expect((await t.request('POST', '/modules/nothing/improve', { goal: 'x' })).status).toBe(404);
    const unknownModel = await t.request('POST', '/modules/adder/improve', { goal: 'x', model: 'nobody:x' });
    expect([unknownModel.status, unknownModel.body.error.code]).toEqual([400, 'unknown_provider']);

    await createModule(t, 'opted-out', ADDER_V1);
    expect((await t.request('PATCH', '/modules/opted-out', { agent: { enabled: false } })).status).toBe(200);
    const refused = await t.request('POST', '/modules/opted-out/improve', { goal: 'x' }, { role: 'agent' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('agent_disabled_for_module');
  });

  it('runs one improvement per module at a time, skips duplicates and keeps to the daily limit', async () => {
    await createModule(t, 'limited', ADDER_V1);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The model proposes the active source again: a duplicate, never evaluated.
    mock.script('limited', [
      async () => {
        await gate;
        return answer(ADDER_V1);
      },
    ]);
    const first = await t.request('POST', '/modules/limited/improve', { goal: 'anything', maxAttempts: 1 });
    expect(first.status).toBe(202);

    const busy = await t.request('POST', '/modules/limited/improve', { goal: 'again' });
    expect(busy.status).toBe(409);
    expect(busy.body.error).toMatchObject({
      code: 'improvement_running',
      details: { runId: first.body.runId },
    });

    release();
    const run = await finishedRun(t, first.body.runId);
    expect(run).toMatchObject({ stopReason: 'rounds', activatedVersionId: null });
    expect(candidatesOf(run)).toEqual([
      expect.objectContaining({
        status: 'duplicate',
        versionId: null,
        decision: 'skipped: same normalised source as version 1',
        feedback: [expect.stringMatching(/^identical \(once normalised\) to version 1/)],
      }),
    ]);
    expect((await t.request('GET', '/modules/limited/versions')).body.total).toBe(1);

    const limited = await t.request('POST', '/modules/limited/improve', { goal: 'again' }, { role: 'agent' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('agent_daily_limit');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(1);
    // A refused start leaves no record behind.
    expect((await t.request('GET', '/modules/limited/improvements')).body.total).toBe(1);
  });

  it('makes no new attempt once the reported cost reaches the budget', async () => {
    await createModule(t, 'costly', ADDER_V1);
    mock.script('costly', [answer(ADDER_WRONG, 0.2), answer(ADDER_RIGHT)]);
    const res = await t.request('POST', '/modules/costly/improve', {
      goal: 'return the sum',
      tests: [{ name: 'adds', input: { a: 2, b: 3 }, expect: { sum: 5 } }],
    });
    const run = await finishedRun(t, res.body.runId);
    expect(run).toMatchObject({ stopReason: 'budget', costUsd: 0.2, roundsDone: 1 });
    expect(candidatesOf(run).map((c) => c.status)).toEqual(['rejected']);
    expect(mock.prompts.get('costly')).toHaveLength(1);
  });
  it('keeps bounded previews of a candidate whose 50 failing cases each return 1 MB, noting their full size', async () => {
    // All smoke cases, so the cascade runs every one before it stops.
    const tests = Array.from({ length: 50 }, (_, i) => ({
      name: `case-${i}`,
      input: { i },
      expect: { i },
      smoke: true,
    }));
    await createModule(t, 'bulky', 'export default (input: { i: number }) => ({ i: input.i });', tests);
    const BULKY = "export default () => ({ i: 'x'.repeat(1_000_000) });";
    mock.script('bulky', [answer(BULKY), answer('export default (input: { i: number }) => ({ ...input });')]);
    const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
    const stream = await openEventStream(`${t.url}/events?module=bulky`, TOKENS.admin);
    try {
      const res = await t.request('POST', '/modules/bulky/improve', { goal: 'keep i', maxAttempts: 2 });
      expect(res.status).toBe(202);
      const run = await finishedRun(t, res.body.runId);
      expect(candidatesOf(run).map((c) => c.status)).toEqual(['rejected', 'active']);
      expect(bytes(run)).toBeLessThan(65_536);
      const rejectedId = candidatesOf(run)[0].versionId;

      const version = (await t.request('GET', `/modules/bulky/versions/${rejectedId}`)).body;
      expect(bytes(version.testReport)).toBeLessThanOrEqual(65_536);
      expect(version.testReport).toMatchObject({ failed: 50, truncated: true });
      expect(version.testReport.bytes).toBeGreaterThan(50_000_000);
      expect(version.testReport.cases).toHaveLength(50);
      const preview = { preview: expect.any(String), bytes: 1_000_008, truncated: true };
      expect(version.testReport.cases[0].actual).toEqual(preview);
      expect(version.diagnostics[0].actual).toEqual(preview);
      expect(bytes(version.diagnostics)).toBeLessThan(65_536);

      // the run's record settles just after the version row does: wait for its result
      const pipelineJob = await eventually(async () => {
        const body = (await t.request('GET', `/jobs/${rejectedId}`)).body;
        return body.result ? body : undefined;
      });
      expect(pipelineJob.result.diagnostics[0].actual).toEqual(preview);
      expect(bytes(pipelineJob)).toBeLessThan(65_536);

      await eventually(async () =>
        stream.events.some((e) => e.type === 'improvement.done') ? true : undefined,
      );
      const rejected = stream.events.find((e) => e.type === 'version.rejected')!;
      expect(rejected.data.diagnostics).toHaveLength(3);
      expect((rejected.data.diagnostics as Array<{ actual: unknown }>)[0].actual).toEqual(preview);
      expect(bytes(rejected.data)).toBeLessThan(16_384);
      const round = stream.events.find((e) => e.type === 'improvement.round')!;
      expect(bytes(round.data)).toBeLessThan(16_384);

      const [first, next] = mock.prompts.get('bulky')!;
      expect(next).toContain('(1000008 bytes, truncated)');
      expect(Buffer.byteLength(next) - Buffer.byteLength(first)).toBeLessThan(32_768);
    } finally {
      await stream.close();
    }
  });
});

describe('the improving agent, turned off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AGENT_ENABLED: 'false' });
  });
  afterAll(() => t?.close());

  it('refuses every improvement with 503 agent_disabled', async () => {
    await createModule(t, 'adder', ADDER_V1);
    const res = await t.request('POST', '/modules/adder/improve', { goal: 'x' }, { role: 'agent' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('agent_disabled');
  });
});

describe('self-healing', () => {
  let t: TestApp;
  const mock = new ScriptedModel();
  const PARSE = 'export default (input: { text: string }) => ({ value: JSON.parse(input.text) });';
  // Still throws on bad JSON: the self-heal cases (must not throw) reject it, so the module keeps failing.
  const STILL_FAILING =
    'export default (input: { text: string }) => ({ value: JSON.parse(String(input.text)) });';

  beforeAll(async () => {
    t = await startTestApp({
      AGENT_MODEL: 'mock',
      AGENT_MAX_ATTEMPTS: '1',
      SELF_HEAL_ENABLED: 'true',
      SELF_HEAL_MIN_CALLS: '4',
      SELF_HEAL_THRESHOLD: '0.5',
      SELF_HEAL_WINDOW: '60000',
      SELF_HEAL_COOLDOWN: '3600000',
    });
    t.app.get(ModelRegistry).register('mock', () => mock.model);
  });
  afterAll(() => t?.close());

  const agentVersions = async () =>
    (await t.request('GET', '/modules/parse/versions')).body.items.filter(
      (v: { author: string }) => v.author === 'agent:mock',
    );

  it('schedules one improvement when a module fails on real inputs, then respects the cooldown', async () => {
    await createModule(t, 'parse', PARSE);
    mock.script('parse', [answer(STILL_FAILING)]);
    expect((await t.request('POST', '/modules/parse/invoke', { input: { text: '1' } })).status).toBe(200);
    for (const text of ['{', 'nope', '[1,']) {
      expect((await t.request('POST', '/modules/parse/invoke', { input: { text } })).status).toBe(422);
    }
    // 3 of 4 calls failed (> 0.5): the agent is asked once, with the failing inputs as must-not-throw cases.
    const [candidate] = await eventually(async () => {
      const versions = await agentVersions();
      return versions.length && versions[0].status === 'rejected' ? versions : undefined;
    }, 30_000);
    // The captured failures were the candidate's goal, not the module's suite: it failed them, they stay out.
    expect((await t.request('GET', '/modules/parse/tests')).body.items).toEqual([]);
    const { testReport } = (await t.request('GET', `/modules/parse/versions/${candidate.id}`)).body;
    const cases = testReport.cases.filter((c: { kind: string }) => c.kind === 'case');
    expect(cases).toHaveLength(3);
    for (const c of cases) {
      expect(c.name).toMatch(/^self-heal-/);
      expect(c).not.toHaveProperty('expect');
    }
    expect(cases.map((c: { input: { text: string } }) => c.input.text).sort()).toEqual(['[1,', 'nope', '{']);
    // So an admin's later version that does not meet that goal still goes live.
    const admin = await t.request('POST', '/modules/parse/versions', {
      source: STILL_FAILING,
      activate: true,
    });
    expect((await settledVersion(t, 'parse', admin.body.versionId)).status).toBe('active');
    const prompt = mock.prompts.get('parse')![0];
    expect(prompt).toContain('Self-healing: module parse failed on 3 of its last 4 calls');
    expect(prompt).toContain('input {"text":"nope"} → runtime_error');
    expect(candidate.status).toBe('rejected');

    // Still failing, but within the cooldown: nothing more is scheduled. Self-healing decides as each call
    // ends, before its answer, so the spy (a pass-through) has seen every decision once the calls answered.
    const asked = jest.spyOn(t.app.get(SelfHealService), 'selfHeal');
    for (const text of ['{{', '}}', '((', '))', '[[']) {
      expect((await t.request('POST', '/modules/parse/invoke', { input: { text } })).status).toBe(422);
    }
    expect(asked).not.toHaveBeenCalled();
    asked.mockRestore();
    expect(await agentVersions()).toHaveLength(1);
    expect(mock.prompts.get('parse')).toHaveLength(1);
  });
});

describe('the improving agent, out of time', () => {
  let t: TestApp;
  const mock = new ScriptedModel();
  beforeAll(async () => {
    t = await startTestApp({ AGENT_MODEL: 'mock', AGENT_TIME_BUDGET: '1000' });
    t.app.get(ModelRegistry).register('mock', () => mock.model);
  });
  afterAll(() => t?.close());

  it('aborts a model call that outlives the time budget and frees the module for the next request', async () => {
    await createModule(t, 'slow', ADDER_V1);
    const hang = (options: LanguageModelV4CallOptions) =>
      new Promise<LanguageModelV4GenerateResult>((_, reject) =>
        options.abortSignal?.addEventListener('abort', () => reject(options.abortSignal!.reason)),
      );
    mock.script('slow', [hang, hang]);
    const first = await t.request('POST', '/modules/slow/improve', { goal: 'faster' });
    // The call was aborted as the time ran out (or the run stopped before making it): reason budget.
    expect((await finishedRun(t, first.body.runId)).stopReason).toBe('budget');
    const second = await t.request('POST', '/modules/slow/improve', { goal: 'faster' });
    expect(second.status).toBe(202);
    expect((await finishedRun(t, second.body.runId)).stopReason).toBe('budget');
  });
});
