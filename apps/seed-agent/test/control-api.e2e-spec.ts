import { ModuleRegistry } from '@seed/runtime';
import { RouteCatalog } from '../src/http/route-catalog';
import {
  createLiveModule,
  eventually,
  settledVersion,
  startTestApp,
  TestApp,
  TestRole,
  TOKENS,
} from './harness';
import { openEventStream } from './support/event-stream';

const V1 = 'export default (input: { n: number }) => input.n * 2;';

describe('control API: auth, roles, audit, events, canary, limits, OpenAPI', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ EVENTS_HEARTBEAT: '200', BODY_LIMIT_BYTES: '200000' });
  });
  afterAll(() => t?.close());

  const createModule = (name: string, settings: Record<string, unknown> = {}) =>
    createLiveModule(t, { name, source: V1, tests: [{ name: 'one', input: { n: 1 }, expect: 2 }], settings });

  it('walks every route: 401 without a token, 403 for a role that may not use it', async () => {
    const routes = t.app.get(RouteCatalog).routes();
    expect(routes.length).toBeGreaterThan(15);
    const roles: TestRole[] = ['admin', 'agent', 'viewer'];
    for (const route of routes) {
      const path = route.path
        .replace(':name', 'no-such-module')
        .replace(':id', '00000000-0000-0000-0000-000000000000')
        .replace(':jobId', '00000000-0000-0000-0000-000000000000')
        .replace(':tokenName', 'no-such-token');
      if (route.public) {
        expect([route.path, route.public]).toEqual([
          route.path,
          ['/health', '/health/ready', '/health/deep', '/metrics'].includes(route.path),
        ]);
        continue;
      }
      const anonymous = await t.request(route.method, path, undefined, { role: null });
      expect([route.method, route.path, anonymous.status]).toEqual([route.method, route.path, 401]);
      expect(anonymous.body.error.code).toBe('unauthorized');
      for (const role of roles.filter((r) => !route.roles.includes(r))) {
        const denied = await t.request(route.method, path, undefined, { role });
        expect([route.method, route.path, role, denied.status]).toEqual([
          route.method,
          route.path,
          role,
          403,
        ]);
      }
    }
    const wrong = await fetch(`${t.url}/modules`, {
      headers: { authorization: 'Bearer not-a-real-token-000' },
    });
    expect(wrong.status).toBe(401);
  });

  it('lets an agent add test cases but never edit or remove them, and holds its candidates for approval', async () => {
    await createModule('guarded', { requireApproval: true });
    const add = await t.request(
      'POST',
      '/modules/guarded/tests',
      { name: 'three', input: { n: 3 }, expect: 6 },
      { role: 'agent' },
    );
    expect(add.status).toBe(201);
    expect(add.body.items.map((c: { name: string }) => c.name)).toEqual(['one', 'three']);
    expect((await t.request('PUT', '/modules/guarded/tests', [], { role: 'agent' })).status).toBe(403);
    expect(
      (await t.request('PATCH', '/modules/guarded', { requireApproval: false }, { role: 'agent' })).status,
    ).toBe(403);
    expect((await t.request('DELETE', '/modules/guarded', undefined, { role: 'agent' })).status).toBe(403);

    const submitted = await t.request(
      'POST',
      '/modules/guarded/versions',
      { source: 'export default (input: { n: number }) => input.n + input.n;', activate: true },
      { role: 'agent' },
    );
    expect(submitted.status).toBe(202);
    const held = await settledVersion(t, 'guarded', submitted.body.versionId);
    expect(held).toMatchObject({ status: 'ready', author: 'agent:agent' });
    expect(
      (await t.request('POST', '/modules/guarded/activate', { versionId: held.id }, { role: 'agent' }))
        .status,
    ).toBe(403);
    const approved = await t.request('POST', '/modules/guarded/activate', { versionId: held.id });
    expect(approved.status).toBe(200);
    expect(
      (await t.request('GET', '/modules/guarded', undefined, { role: 'viewer' })).body.activeVersionId,
    ).toBe(held.id);
  });

  it('rolls back a version whose error rate jumps after activation (canary)', async () => {
    const v1 = await createModule('canary', { canary: { minCalls: 5, threshold: 0.2, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++)
      expect((await t.request('POST', '/modules/canary/invoke', { input: { n: 1 } })).status).toBe(200);
    const v2 = await t.request('POST', '/modules/canary/versions', {
      source:
        "export default (input: { n: number }) => { if (input.n > 10) throw new Error('too big'); return input.n * 2; };",
      activate: true,
    });
    expect((await settledVersion(t, 'canary', v2.body.versionId)).status).toBe('active');
    const statuses: number[] = [];
    // from two callers: one caller's failures alone never roll back (CANARY_MIN_DISTINCT_CALLERS)
    for (let i = 0; i < 6; i++) {
      const role = i % 2 ? 'viewer' : 'admin';
      statuses.push(
        (await t.request('POST', '/modules/canary/invoke', { input: { n: 50 } }, { role })).status,
      );
    }
    expect(statuses.filter((s) => s === 422).length).toBeGreaterThanOrEqual(5);
    // The canary notes why on the version once its rollback has committed and this node serves v1 again:
    // wait for the note, not for the switch in PostgreSQL (the node swaps just after it).
    const rolledBack = await eventually(async () => {
      const version = await t.request('GET', `/modules/canary/versions/${v2.body.versionId}`);
      return version.body.diagnostics?.length ? version : undefined;
    });
    expect((await t.request('GET', '/modules/canary')).body.activeVersionId).toBe(v1);
    expect((await t.request('POST', '/modules/canary/invoke', { input: { n: 50 } })).body.output).toBe(100);
    expect(rolledBack.body.status).toBe('retired');
    expect(rolledBack.body.diagnostics.at(-1).message).toMatch(/rolled back by canary/);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/seed_agent_rollbacks_total\{reason="canary"\} 1/);
  });

  it('streams live events filtered by module, with heartbeats', async () => {
    await createModule('watched');
    const stream = await openEventStream(`${t.url}/events?module=watched`, TOKENS.viewer);
    expect(stream.contentType).toMatch(/text\/event-stream/);
    const seen = () => stream.events.map((e) => `${e.type}:${e.data.module ?? ''}`);
    await eventually(async () => (seen().includes('ready:watched') ? true : undefined));
    await t.request('POST', '/modules/other-module-x/versions', { source: V1 }); // another module: filtered out (404 anyway)
    const submitted = await t.request('POST', '/modules/watched/versions', {
      source: V1.replace('* 2', '+ input.n'),
      activate: true,
    });
    await settledVersion(t, 'watched', submitted.body.versionId);
    await eventually(async () =>
      seen().includes('module.activated:watched') && seen().includes('heartbeat:') ? true : undefined,
    );
    expect(seen()).toEqual(
      expect.arrayContaining([
        'version.submitted:watched',
        'version.stage:watched',
        'module.activated:watched',
      ]),
    );
    expect(seen().every((s) => s.endsWith(':watched') || s === 'heartbeat:')).toBe(true);
    await stream.close();
  });

  it('writes audit rows for state-changing actions, none for reads or invocations', async () => {
    await createModule('audited');
    await t.request('GET', '/modules/audited');
    await t.request('POST', '/modules/audited/invoke', { input: { n: 2 } });
    await t.request('PATCH', '/modules/audited', { autoActivate: false });
    await t.request('POST', '/modules/audited/tests', [{ name: 'two', input: { n: 2 }, expect: 4 }]);
    await t.request('PUT', '/modules/audited/tests', [{ name: 'two', input: { n: 2 }, expect: 4 }]);
    const submitted = await t.request('POST', '/modules/audited/versions', { source: V1 });
    const ready = await settledVersion(t, 'audited', submitted.body.versionId);
    await t.request('POST', '/modules/audited/activate', { versionId: ready.id });
    await t.request('POST', '/modules/audited/rollback', {});
    await t.request('POST', '/modules/audited/activate', { versionId: ready.id }, { role: 'viewer' });
    await t.request('DELETE', '/modules/audited');
    const audit = await t.request('GET', '/audit?limit=200');
    expect(audit.status).toBe(200);
    // Refusals are checked below: whether this one has its own row depends on the minute it fell in.
    const rows = audit.body.items
      .filter((r: { target: string; outcome: string }) => r.target === 'audited' && r.outcome !== 'forbidden')
      .reverse();
    expect(rows.map((r: { action: string; outcome: string }) => `${r.action}:${r.outcome}`)).toEqual([
      'create:ok',
      'settings:ok',
      'tests.add:ok',
      'tests.replace:ok',
      'submit:ok',
      'activate:ok',
      'rollback:ok',
      'delete:ok',
    ]);
    expect(rows[0].actor).toBe('admin:admin');
    // Refusals are counted per actor, action and minute (the route walk above refused this one too).
    const refused = audit.body.items.filter(
      (r: { actor: string; action: string }) => r.actor === 'viewer:viewer' && r.action === 'activate',
    );
    expect(refused[0]).toMatchObject({ outcome: 'forbidden' });
    expect(
      refused.every((r: { target: string }) => ['audited', 'no-such-module', '*'].includes(r.target)),
    ).toBe(true);
    expect((await t.request('GET', '/audit', undefined, { role: 'agent' })).status).toBe(403);
  });

  it('refuses oversized bodies with 413 and overloaded modules with 429', async () => {
    const big = await t.request('POST', '/modules', { name: 'big', source: 'x'.repeat(300_000) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');

    await t.request('POST', '/modules', {
      name: 'busy',
      source: 'export default () => { const end = Date.now() + 300; while (Date.now() < end) {} return 1; };',
      settings: { limits: { concurrency: 1, queueLimit: 0 } },
    });
    await eventually(async () =>
      (await t.request('GET', '/modules/busy')).body.activeVersionId ? true : undefined,
    );
    const results = await Promise.all(
      [1, 2, 3].map(() => t.request('POST', '/modules/busy/invoke', { input: null })),
    );
    const overloaded = results.filter((r) => r.status === 429);
    expect(overloaded.length).toBeGreaterThanOrEqual(1);
    expect(overloaded[0].body.error.code).toBe('overloaded');
    expect(overloaded[0].headers.get('retry-after')).toBeTruthy();
  });

  it('serves more invocations from one token than the control-plane rate limit would allow', async () => {
    await createModule('steady');
    // 300 calls, four at a time: well past 100 calls/s, and past the control plane's burst (200) plus
    // its refill (20/s) for as long as they take, so one 429 would mean invocations spend that bucket.
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      [1, 2, 3, 4].map(async () => {
        while (next++ < 300) {
          const res = await t.request(
            'POST',
            '/modules/steady/invoke',
            { input: { n: 1 } },
            { role: 'agent' },
          );
          statuses.push(res.status);
        }
      }),
    );
    expect(statuses).toEqual(Array(300).fill(200));
  });

  it('publishes an OpenAPI document generated from the validating schemas', async () => {
    const docs = await t.request('GET', '/docs', undefined, { role: 'viewer' });
    expect(docs.status).toBe(200);
    expect(docs.body.openapi).toBe('3.1.0');
    const submit = docs.body.paths['/modules/{name}/versions'].post;
    const schema = submit.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['source']);
    expect(Object.keys(schema.properties)).toEqual([
      'source',
      'rationale',
      'parentVersionId',
      'activate',
      'dryRun',
    ]);
    expect(submit.description).toBe('Roles: admin, agent');
    expect(docs.body.paths['/modules'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'limit',
      'offset',
    ]);
  });
});

describe('control API: rate limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      RATE_LIMIT_PER_MINUTE: '60',
      RATE_LIMIT_BURST: '3',
      INVOKE_RATE_LIMIT_PER_MINUTE: '60',
    });
  });
  afterAll(() => t?.close());

  it('answers 429 with Retry-After once a token spends its burst, per token', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await t.request('GET', '/modules', undefined, { role: 'viewer' })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await t.request('GET', '/modules', undefined, { role: 'viewer' });
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await t.request('GET', '/modules', undefined, { role: 'admin' })).status).toBe(200);
    expect((await t.request('GET', '/health', undefined, { role: null })).status).toBe(200);
  });

  it('throttles failed authentication per client address', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await t.request('GET', '/modules', undefined, { role: null })).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('limits invocations per token with INVOKE_RATE_LIMIT_PER_MINUTE, apart from the control plane', async () => {
    const created = await t.request('POST', '/modules', { name: 'limited', source: V1 });
    expect(created.status).toBe(201);
    // polled in process: GET requests would spend the admin's control-plane burst
    await eventually(() => (t.app.get(ModuleRegistry).current('limited') ? true : undefined));
    const statuses = [];
    // 60 per minute leaves a burst of ten seconds' worth: 10
    for (let i = 0; i < 11; i++) {
      const res = await t.request('POST', '/modules/limited/invoke', { input: { n: 1 } }, { role: 'agent' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
    const limited = await t.request(
      'POST',
      '/modules/limited/invoke',
      { input: { n: 1 } },
      { role: 'agent' },
    );
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await t.request('GET', '/modules', undefined, { role: 'agent' })).status).toBe(200);
  });
});

describe('control API: request timeouts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REQUEST_TIMEOUT: '300', EVENTS_HEARTBEAT: '200' });
  });
  afterAll(() => t?.close());

  it('answers 503 request_timeout when a handler takes longer than REQUEST_TIMEOUT', async () => {
    await t.request('POST', '/modules', {
      name: 'slowpoke',
      source: 'export default () => { const end = Date.now() + 800; while (Date.now() < end) {} return 1; };',
    });
    await eventually(async () =>
      (await t.request('GET', '/modules/slowpoke')).body.activeVersionId ? true : undefined,
    );
    const res = await t.request('POST', '/modules/slowpoke/invoke', { input: null });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('request_timeout');
    // the module's late answer is dropped; the node keeps answering
    await eventually(
      () => (t.app.get(ModuleRegistry).stats().inFlight === 0 ? true : undefined),
      10_000,
      'the timed-out call to finish in the sandbox',
    );
    expect((await t.request('GET', '/modules/slowpoke')).status).toBe(200);
  });

  it('keeps server-sent event streams open past REQUEST_TIMEOUT', async () => {
    const stream = await openEventStream(`${t.url}/events`, TOKENS.viewer);
    // the server began the stream before its headers arrived here: a heartbeat it sent more than
    // REQUEST_TIMEOUT (300 ms) after this moment proves the stream outlived the timeout
    const opened = Date.now();
    await eventually(
      () =>
        stream.events.some((e) => e.type === 'heartbeat' && Date.parse(String(e.data.at)) > opened + 300)
          ? true
          : undefined,
      10_000,
      'a heartbeat sent after REQUEST_TIMEOUT',
    );
    expect(stream.status).toBe(200);
    await stream.close();
  });
});
