import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ArtifactCache } from '@seed/code-store';
import { eventually, settledVersion, startTestApp, TestApp } from './harness';

const GREET_V1 = 'export default (input: { name: string }) => ({ greeting: `Hello, ${input.name}` });';
const GREET_V2 = 'export default (input: { name: string }) => ({ greeting: `Hi, ${input.name}!` });';
const GREET_TESTS = [{ name: 'greets', input: { name: 'Ada' } }];

describe('improvement pipeline (real PostgreSQL, Redis, isolates)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  async function createModule(name: string, source = GREET_V1, tests: unknown[] = GREET_TESTS) {
    const created = await t.request('POST', '/modules', { name, source, tests });
    expect(created.status).toBe(201);
    const version = await settledVersion(t, name, created.body.versionId);
    expect(version.status).toBe('active');
    return created.body.versionId as string;
  }

  async function submit(name: string, body: Record<string, unknown>) {
    const res = await t.request('POST', `/modules/${name}/versions`, body);
    expect(res.status).toBe(202);
    return settledVersion(t, name, res.body.versionId);
  }

  const invoke = (name: string, input: unknown) => t.request('POST', `/modules/${name}/invoke`, { input });

  it('submit → active → invoke serves the new version; rollback restores the earlier one', async () => {
    const v1 = await createModule('greet');
    expect((await invoke('greet', { name: 'Bob' })).body).toEqual({
      output: { greeting: 'Hello, Bob' },
      versionId: v1,
    });

    const v2 = await submit('greet', { source: GREET_V2, activate: true, rationale: 'friendlier' });
    expect(v2).toMatchObject({ status: 'active', parentId: v1, rationale: 'friendlier', seq: 2 });
    // one stored case plus the replayed input of the invocation above
    expect(v2.score).toMatchObject({ passed: 2, total: 2, ratio: 1 });
    expect((await invoke('greet', { name: 'Bob' })).body.output).toEqual({ greeting: 'Hi, Bob!' });

    const rollback = await t.request('POST', '/modules/greet/rollback', {});
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ activeVersionId: v1, previousVersionId: v2.id });
    expect((await invoke('greet', { name: 'Bob' })).body).toEqual({
      output: { greeting: 'Hello, Bob' },
      versionId: v1,
    });
    const versions = await t.request('GET', '/modules/greet/versions');
    expect(versions.body.items.map((v: { status: string }) => v.status)).toEqual(['retired', 'active']);
    const history = await t.request('GET', '/modules/greet/activations', undefined, { role: 'viewer' });
    expect(
      history.body.items.map((a: { reason: string; toVersionId: string }) => [a.reason, a.toVersionId]),
    ).toEqual([
      ['rollback', v1],
      ['gates', v2.id],
      ['gates', v1],
    ]);
  });

  it('rejects a compile error with line and column while the active version keeps serving', async () => {
    await createModule('compile-err');
    const rejected = await submit('compile-err', {
      source: 'export default (input: unknown) => {\n  return { broken: ;\n};',
      activate: true,
    });
    expect(rejected.status).toBe('rejected');
    expect(rejected.diagnostics[0]).toMatchObject({ stage: 'compile', line: 2 });
    expect(rejected.diagnostics[0].column).toBeGreaterThan(0);
    expect((await invoke('compile-err', { name: 'Eve' })).body.output).toEqual({ greeting: 'Hello, Eve' });
  });

  it('rejects a version that fails a test case, naming the case with input, expected and actual', async () => {
    await createModule('strict', GREET_V1, [
      { name: 'exact greeting', input: { name: 'Ada' }, expect: { greeting: 'Hello, Ada' } },
    ]);
    const rejected = await submit('strict', { source: GREET_V2, activate: true });
    expect(rejected.status).toBe('rejected');
    expect(rejected.diagnostics[0]).toMatchObject({
      stage: 'test',
      case: 'exact greeting',
      input: { name: 'Ada' },
      expected: { greeting: 'Hello, Ada' },
      actual: { greeting: 'Hi, Ada!' },
    });
    expect((await invoke('strict', { name: 'Ada' })).body.output).toEqual({ greeting: 'Hello, Ada' });
  });

  it('ignores key order when comparing outputs, and accepts cases without expectations', async () => {
    await createModule('keys', 'export default () => ({ b: 2, a: { y: 1, x: [1, 2] } });', [
      { name: 'order', input: null, expect: { a: { x: [1, 2], y: 1 }, b: 2 } },
      { name: 'no throw', input: 42 },
    ]);
  });

  it('replays recent real inputs: a candidate may not fail where the active version succeeded', async () => {
    await createModule(
      'replay',
      'export default (input: { items?: number[] }) => (input.items ?? []).length;',
      [],
    );
    expect((await invoke('replay', { items: [1, 2] })).status).toBe(200);
    expect((await invoke('replay', {})).status).toBe(200);
    await eventually(async () =>
      (await t.request('GET', '/modules/replay')).status === 200 ? true : undefined,
    );
    const rejected = await submit('replay', {
      source: 'export default (input: { items?: number[] }) => input.items!.length;',
      activate: true,
    });
    expect(rejected.status).toBe('rejected');
    expect(rejected.diagnostics[0].message).toMatch(/replayed input/);
  });

  it('drops a replayed input that fails on the active version too: only a new failure is the candidate’s', async () => {
    const STRICT = 'export default (input: { items?: number[] }) => input.items!.length;';
    const strict = await createModule('replay-both', STRICT, []);
    const lenient = await submit('replay-both', {
      source: 'export default (input: { items?: number[] }) => (input.items ?? []).length;',
      activate: true,
    });
    expect(lenient.status).toBe('active');
    expect((await invoke('replay-both', {})).status).toBe(200);
    // Back to the strict version (no gates), which fails on the sampled input as the next candidate does.
    expect((await t.request('POST', '/modules/replay-both/rollback', { versionId: strict })).status).toBe(
      200,
    );
    const candidate = await submit('replay-both', { source: `${STRICT}\n// again`, activate: true });
    expect(candidate.status).toBe('active');
    expect(candidate.testReport.cases.filter((c: { kind: string }) => c.kind === 'replay')).toEqual([]);
  });

  it('of two candidates from the same parent, one activates and the other is superseded', async () => {
    const v1 = await createModule('race');
    const a = await t.request('POST', '/modules/race/versions', {
      source: GREET_V2,
      activate: true,
      parentVersionId: v1,
    });
    const b = await t.request('POST', '/modules/race/versions', {
      source: GREET_V2.replace('Hi', 'Hey'),
      activate: true,
    });
    const [va, vb] = await Promise.all([
      settledVersion(t, 'race', a.body.versionId),
      settledVersion(t, 'race', b.body.versionId),
    ]);
    expect([va.status, vb.status].sort()).toEqual(['active', 'superseded']);
    expect(va.parentId).toBe(v1);
    expect(vb.parentId).toBe(v1);
  });

  it('keeps a dry run at ready and refuses to activate it', async () => {
    await createModule('dry');
    const dry = await submit('dry', { source: GREET_V2, dryRun: true, activate: true });
    expect(dry.status).toBe('ready');
    expect(dry.testReport.passed).toBe(1);
    const activate = await t.request('POST', '/modules/dry/activate', { versionId: dry.id });
    expect(activate.status).toBe(409);
    expect(activate.body.error.code).toBe('not_activatable');
  });

  it('holds a version submitted without activate at ready until an explicit activation', async () => {
    await createModule('manual');
    const ready = await submit('manual', { source: GREET_V2 });
    expect(ready.status).toBe('ready');
    const activated = await t.request('POST', '/modules/manual/activate', { versionId: ready.id });
    expect(activated.status).toBe(200);
    expect((await invoke('manual', { name: 'Al' })).body.output).toEqual({ greeting: 'Hi, Al!' });
  });

  it('answers a retried submission with the same Idempotency-Key with the first answer', async () => {
    await createModule('idem');
    const headers = { 'idempotency-key': 'submit-42' };
    const first = await t.request('POST', '/modules/idem/versions', { source: GREET_V2 }, { headers });
    const second = await t.request('POST', '/modules/idem/versions', { source: GREET_V2 }, { headers });
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect((await t.request('GET', '/modules/idem/versions')).body.total).toBe(2);
  });

  it('reports job state, stage and result, and shows a unified diff against the parent', async () => {
    await createModule('jobs');
    const res = await t.request('POST', '/modules/jobs/versions', { source: GREET_V2, activate: true });
    const job = await eventually(async () => {
      const j = await t.request('GET', `/jobs/${res.body.jobId}`);
      return j.body.state === 'completed' ? j.body : undefined;
    });
    expect(job).toMatchObject({
      stage: 'done',
      progress: 100,
      result: { status: 'active', activated: true },
    });
    const diff = await t.request('GET', `/modules/jobs/versions/${res.body.versionId}?diff=parent`);
    expect(diff.body.diff).toContain(
      '-export default (input: { name: string }) => ({ greeting: `Hello, ${input.name}` });',
    );
    expect(diff.body.diff).toContain(
      '+export default (input: { name: string }) => ({ greeting: `Hi, ${input.name}!` });',
    );
    expect((await t.request('GET', '/jobs/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('answers bad input with clear errors', async () => {
    const bad = await t.request('POST', '/modules', { name: 'Bad Name', source: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['name', 'source']);
    expect((await t.request('POST', '/modules/nope/invoke', { input: 1 })).body.error.code).toBe(
      'module_not_found',
    );
    await createModule('dupe');
    expect((await t.request('POST', '/modules', { name: 'dupe', source: GREET_V1 })).status).toBe(409);
    const malformed = await fetch(`${t.url}/modules`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-secret-0123456789', 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('rebuilds a deleted or corrupted artifact cache from PostgreSQL, checking its sha256', async () => {
    const versionId = await createModule('cached');
    const { sha256 } = (await t.request('GET', `/modules/cached/versions/${versionId}`)).body;
    const cache = new ArtifactCache(t.config.codeDir);
    // the pipeline writes the cache beside its decision, not before it
    await eventually(() => (existsSync(cache.pathOf(sha256)) ? true : undefined));
    const original = readFileSync(cache.pathOf(sha256), 'utf8');
    for (const damage of [
      () => rmSync(cache.pathOf(sha256)),
      () => writeFileSync(cache.pathOf(sha256), 'var evil = true;'),
    ]) {
      damage();
      // a second node on the same database and code dir boots and loads the active versions
      const node = await startTestApp({}, { database: t.database, dataDir: t.config.dataDir });
      try {
        expect(readFileSync(cache.pathOf(sha256), 'utf8')).toBe(original);
        const res = await node.request('POST', '/modules/cached/invoke', { input: { name: 'Cy' } });
        expect(res.body).toEqual({ output: { greeting: 'Hello, Cy' }, versionId });
      } finally {
        await node.close();
      }
    }
  });

  it('serves the module SDK declarations', async () => {
    const res = await t.request('GET', '/modules/sdk.d.ts', undefined, { role: 'viewer' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/typescript/);
    expect(String(res.body)).toMatch(/log/);
  });
});
