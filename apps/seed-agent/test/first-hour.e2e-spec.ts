import { settledVersion, startTestApp, TestApp } from './harness';

const V1 = 'export default (input: { n: number }) => input.n + 1;';
const V2 = 'export default (input: { n: number }) => input.n + 2;';
const CASES = [{ name: 'adds one', input: { n: 1 }, expect: 2 }];
const WAIT = { headers: { prefer: 'wait=20' } };

/** What a newcomer meets in the first hour: answers that wait when asked, versions named by number, hints. */
describe('the first hour: Prefer: wait, version references, errors that say what to do', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('answers a create with the outcome under Prefer: wait, so the next call can invoke', async () => {
    const created = await t.request('POST', '/modules', { name: 'waits', source: V1, tests: CASES }, WAIT);
    expect([created.status, created.headers.get('preference-applied')]).toEqual([201, 'wait']);
    expect(created.body).toMatchObject({ name: 'waits', seq: 1, status: 'active', activated: true });
    const invoked = await t.request('POST', '/modules/waits/invoke', { input: { n: 1 } });
    expect([invoked.status, invoked.body.output]).toEqual([200, 2]);

    // A rejection is an outcome (200), not an error status, and the diagnostics come with it.
    const rejected = await t.request('POST', '/modules/waits/versions', { source: V2, activate: true }, WAIT);
    expect([rejected.status, rejected.headers.get('preference-applied')]).toEqual([200, 'wait']);
    expect(rejected.body).toMatchObject({ seq: 2, status: 'rejected', activated: false });
    expect(rejected.body.diagnostics[0]).toMatchObject({ stage: 'test', case: 'adds one' });

    // Without the preference nothing changes: 202 and the job to follow.
    const plain = await t.request('POST', '/modules/waits/versions', { source: V2, dryRun: true });
    expect([plain.status, plain.headers.get('preference-applied'), plain.body.status]).toEqual([
      202,
      null,
      undefined,
    ]);
    await settledVersion(t, 'waits', plain.body.versionId);
  });

  it('answers 202 as usual when the wait ends before the pipeline decides', async () => {
    const created = await t.request(
      'POST',
      '/modules',
      {
        name: 'slow',
        source: V1,
        tests: [{ name: 'settles', input: { n: 1 } }],
        settings: { limits: { wallTimeoutMs: 4000 } },
      },
      WAIT,
    );
    expect(created.body.status).toBe('active');
    // Its case never settles: the pipeline decides at the wall-clock timeout, long after the 1 s wait.
    const hangs = 'export default () => new Promise(() => {});';
    const res = await t.request(
      'POST',
      '/modules/slow/versions',
      { source: hangs },
      { headers: { prefer: 'respond-async, wait=1' } },
    );
    expect([res.status, res.headers.get('preference-applied')]).toEqual([202, null]);
    expect(res.body).toEqual({ versionId: expect.any(String), jobId: res.body.versionId, seq: 2 });
    expect((await settledVersion(t, 'slow', res.body.versionId)).status).toBe('rejected');
  });

  it('names versions by id, sequence number, active or latest, in routes, bodies and diffs', async () => {
    await t.request('POST', '/modules', { name: 'refs', source: V1, tests: [] }, WAIT);
    const v2 = await t.request('POST', '/modules/refs/versions', { source: V2, parentVersionId: '1' }, WAIT);
    expect(v2.body).toMatchObject({ seq: 2, status: 'ready' });
    const byId = await t.request('GET', `/modules/refs/versions/${v2.body.versionId}`);
    for (const [ref, seq] of [
      ['1', 1],
      ['2', 2],
      ['active', 1],
      ['latest', 2],
    ] as const) {
      const res = await t.request('GET', `/modules/refs/versions/${ref}`);
      expect([ref, res.status, res.body.seq]).toEqual([ref, 200, seq]);
    }
    expect(byId.body.parentId).toBe((await t.request('GET', '/modules/refs/versions/1')).body.id);

    const diff = await t.request('GET', '/modules/refs/versions/latest?diff=1');
    expect(diff.body.diff).toMatch(/--- refs@1\n\+\+\+ refs@2\n/);
    expect((await t.request('GET', '/modules/refs/versions/2?diff=parent')).body.diff).toBe(diff.body.diff);
    expect((await t.request('GET', '/modules/refs/versions/1?diff=latest')).body.diff).toMatch(
      /refs@2\n\+\+\+ refs@1/,
    );

    const activated = await t.request('POST', '/modules/refs/activate', { versionId: 'latest' });
    expect([activated.status, activated.body.seq]).toEqual([200, 2]);
    expect((await t.request('GET', '/modules/refs/versions/active')).body.seq).toBe(2);
    const rolledBack = await t.request('POST', '/modules/refs/rollback', { versionId: '1' });
    expect([rolledBack.status, rolledBack.body.seq]).toEqual([200, 1]);
    // a JSON number names a sequence number too, and a rollout names its version like any body
    const asNumber = await t.request('POST', '/modules/refs/activate', { versionId: 2 });
    expect([asNumber.status, asNumber.body.seq]).toEqual([200, 2]);
    await t.request('POST', '/modules/refs/rollback', { versionId: 1 });
    const source = 'export default (x: number) => x * 3;';
    const v3 = await t.request('POST', '/modules/refs/versions', { source }, WAIT);
    const rollout = await t.request('POST', '/modules/refs/rollouts', { versionId: 'latest' });
    expect([rollout.status, rollout.body.versionId]).toEqual([201, v3.body.versionId]);
    await t.request('POST', '/modules/refs/rollouts/current/abort');
    for (const versionId of [0, -1, 2.5, 2 ** 31])
      expect((await t.request('POST', '/modules/refs/activate', { versionId })).status).toBe(400);

    const missing = await t.request('GET', '/modules/refs/versions/99');
    expect([missing.status, missing.body.error.message]).toEqual([
      404,
      'version 99 does not exist in this module',
    ]);
    const bad = await t.request('GET', '/modules/refs/versions/v2');
    expect([bad.status, bad.body.error.message]).toEqual([
      400,
      'version "v2" is invalid: a version id (uuid), a sequence number (3), active or latest is expected',
    ]);
    const badBody = await t.request('POST', '/modules/refs/activate', { versionId: 'newest' });
    expect([badBody.status, badBody.body.error.code]).toEqual([400, 'validation_failed']);
  });

  it('says why a module serves nothing, and where a new version goes when the module exists', async () => {
    const created = await t.request('POST', '/modules', { name: 'broken', source: V2, tests: CASES }, WAIT);
    expect([created.status, created.body.status]).toEqual([201, 'rejected']);
    const invoked = await t.request('POST', '/modules/broken/invoke', { input: { n: 1 } });
    expect([invoked.status, invoked.body.error.code]).toEqual([404, 'no_active_version']);
    expect(invoked.body.error.message).toBe(
      `module broken has no active version: its version 1 (${created.body.versionId}) was rejected: ` +
        'GET /modules/broken/versions/1 has the diagnostics',
    );
    expect(invoked.body.error.details).toMatchObject({ versionId: created.body.versionId, seq: 1 });

    const again = await t.request('POST', '/modules', { name: 'broken', source: V1 });
    expect([again.status, again.body.error.code]).toEqual([409, 'module_exists']);
    expect(again.body.error.message).toBe(
      'module broken already exists: submit a new version with POST /modules/broken/versions',
    );
  });

  it('documents Prefer in the OpenAPI entries of both submitting routes', async () => {
    const doc = (await t.request('GET', '/docs')).body;
    for (const [path, method] of [
      ['/modules', 'post'],
      ['/modules/{name}/versions', 'post'],
    ]) {
      const names = doc.paths[path][method].parameters.map((p: { name: string }) => p.name);
      expect([path, names.includes('Prefer')]).toEqual([path, true]);
    }
  });
});
