import {
  createLiveModule,
  eventually,
  request,
  settledVersion,
  startTestApp,
  TestApp,
  TOKENS,
} from './harness';

const V1 = 'export default (input: { n: number }) => input.n * 2;';
const REFUSES_BIG =
  "export default (input: { n: number }, ctx: ModuleContext) => { if (input.n > 10) throw new ctx.InputError('n must be at most 10'); if (input.n < 0) throw new Error('negative'); return input.n * 2; };";
const THROWS_BIG =
  "export default (input: { n: number }) => { if (input.n > 10) throw new Error('too big'); return input.n * 2; };";
const VIEWERS = ['ann', 'bob', 'cid'];
const viewerToken = (name: string) => `${name}-viewer-secret-0123456789`;

/** Callers' inputs and cases must never decide a version's fate on their own. */
describe('faults of callers and agents are not the version’s', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      API_TOKENS: [
        ...Object.entries(TOKENS).map(([role, secret]) => `${role}:${role}:${secret}`),
        ...VIEWERS.map((name) => `${name}:viewer:${viewerToken(name)}`),
      ].join(','),
      CASES_MAX_PER_MODULE: '3',
      PIPELINE_REPLAY_PER_CALLER: '2',
    });
  });
  afterAll(() => t?.close());

  const as = (caller: string) =>
    caller in TOKENS
      ? { role: caller as keyof typeof TOKENS }
      : { role: null, headers: { authorization: `Bearer ${viewerToken(caller)}` } };
  const invoke = (module: string, n: number, caller: string) =>
    request(t.url, 'POST', `/modules/${module}/invoke`, { input: { n } }, as(caller));

  const createModule = (name: string, settings: Record<string, unknown> = {}) =>
    createLiveModule(t, { name, source: V1, tests: [{ name: 'one', input: { n: 1 }, expect: 2 }], settings });

  async function activate(name: string, source: string, role: 'admin' | 'agent' = 'admin') {
    const res = await t.request('POST', `/modules/${name}/versions`, { source, activate: true }, { role });
    const version = await settledVersion(t, name, res.body.versionId);
    expect(version.status).toBe('active');
    return version.id as string;
  }

  const canaryNote = (name: string, versionId: string) =>
    eventually(async () => {
      const version = (await t.request('GET', `/modules/${name}/versions/${versionId}`)).body;
      return version.diagnostics?.find((d: { message: string }) => /canary/.test(d.message))?.message as
        string | undefined;
    });

  it('answers ctx.InputError with 422 invalid_input, which no number of viewers can turn into a rollback', async () => {
    await createModule('refusing', { canary: { minCalls: 5, threshold: 0.2, windowMs: 600_000 } });
    const v2 = await activate('refusing', REFUSES_BIG);
    for (let i = 0; i < 21; i++) {
      const res = await invoke('refusing', 50, VIEWERS[i % VIEWERS.length]);
      expect([res.status, res.body.error.code, res.body.error.message]).toEqual([
        422,
        'invalid_input',
        'n must be at most 10',
      ]);
    }
    // The module's own failures from two callers still roll it back, counted from zero calls.
    for (let i = 0; i < 5; i++)
      expect((await invoke('refusing', -1, i % 2 ? 'admin' : 'agent')).status).toBe(422);
    expect(await canaryNote('refusing', v2)).toMatch(
      /^rolled back by canary: .* over 5 calls from 2 failing callers/,
    );
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/seed_agent_invocations_total\{module="refusing",result="invalid_input"\} 21/);
  });

  it("never rolls back on one caller's failures", async () => {
    await createModule('one-caller', { canary: { minCalls: 5, threshold: 0.2, windowMs: 600_000 } });
    const v2 = await activate('one-caller', THROWS_BIG);
    for (let i = 0; i < 10; i++)
      expect((await invoke('one-caller', 50, 'ann')).body.error.code).toBe('runtime_error');
    expect((await invoke('one-caller', 50, 'bob')).status).toBe(422);
    expect(await canaryNote('one-caller', v2)).toMatch(/over 11 calls from 2 failing callers/);
  });

  it('keeps an admin’s activation when the module opted out of rolling those back', async () => {
    await createModule('kept', {
      canary: { minCalls: 5, threshold: 0.2, windowMs: 600_000, rollbackAdminActivations: false },
    });
    const v2 = await activate('kept', THROWS_BIG);
    for (let i = 0; i < 6; i++) expect((await invoke('kept', 50, VIEWERS[i % 3])).status).toBe(422);
    expect(await canaryNote('kept', v2)).toMatch(/^not rolled back by canary \(an admin's activation\)/);
    expect((await t.request('GET', '/modules/kept')).body.activeVersionId).toBe(v2);
  });

  it("caps one caller's share of the replayed inputs", async () => {
    await createModule('replayed');
    for (let n = 1; n <= 10; n++) expect((await invoke('replayed', n, 'ann')).status).toBe(200);
    expect((await invoke('replayed', 99, 'bob')).status).toBe(200);
    const v2 = await activate('replayed', 'export default (input: { n: number }) => input.n + input.n;');
    const report = (await t.request('GET', `/modules/replayed/versions/${v2}`)).body.testReport;
    const replayed = report.cases.filter((c: { kind: string }) => c.kind === 'replay');
    expect(replayed).toHaveLength(3);
  });

  it("refuses an agent's case that the active version fails; an admin may add it; the suite is capped", async () => {
    await createModule('exam');
    const contradicting = { name: 'wrong', input: { n: 3 }, expect: 7 };
    const refused = await t.request('POST', '/modules/exam/tests', contradicting, { role: 'agent' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: 'case_fails_on_active',
      details: { result: { name: 'wrong', passed: false, expected: 7, actual: 6 } },
    });
    const agreeing = { name: 'three', input: { n: 3 }, expect: 6 };
    expect((await t.request('POST', '/modules/exam/tests', agreeing, { role: 'agent' })).status).toBe(201);
    expect((await t.request('POST', '/modules/exam/tests', contradicting)).status).toBe(201);
    const full = await t.request('POST', '/modules/exam/tests', { name: 'four', input: { n: 4 } });
    expect(full.status).toBe(409);
    expect(full.body.error).toMatchObject({
      code: 'too_many_cases',
      details: { existing: 3, adding: 1, max: 3 },
    });
    const goal = await t.request('POST', '/modules/exam/improve', {
      goal: 'more',
      tests: [{ name: 'five', input: { n: 5 } }],
    });
    expect([goal.status, goal.body.error.code]).toEqual([409, 'too_many_cases']);
  });
});
