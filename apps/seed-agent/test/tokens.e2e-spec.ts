import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { eventually, startTestApp, TestApp } from './harness';
import { uniquePrefix } from './support/redis';

const V1 = 'export default (input: { n: number }) => input.n + 1;';
const WAIT = { headers: { prefer: 'wait=20' } };

/** Tokens managed at runtime on two nodes of one database and one Redis namespace. */
describe('tokens at runtime', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const shared = { REDIS_PREFIX: uniquePrefix('tokens') };
    a = await startTestApp({ ...shared, NODE_NAME: 'node-a' });
    b = await startTestApp({ ...shared, NODE_NAME: 'node-b' }, { database: a.database });
    for (const name of ['paid', 'free'])
      await a.request('POST', '/modules', { name, source: V1, tests: [] }, WAIT);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const as = (node: TestApp, secret: string, method: string, path: string, body?: unknown) =>
    node.request(method, path, body, { role: null, headers: { authorization: `Bearer ${secret}` } });
  const invoke = (node: TestApp, secret: string, module: string) =>
    as(node, secret, 'POST', `/modules/${module}/invoke`, { input: { n: 1 } });

  it('creates a token shown once and stored as a hash, usable on every node, listed, and revoked everywhere', async () => {
    const created = await a.request('POST', '/tokens', { name: 'ci-bot', role: 'agent' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci-bot', role: 'agent', modules: null, expiresAt: null });
    const secret = created.body.token as string;
    const [row] = await a.app.get(DataSource).query(`SELECT sha256 FROM api_tokens WHERE name = 'ci-bot'`);
    expect(row.sha256).toBe(createHash('sha256').update(secret).digest('hex'));

    expect((await invoke(a, secret, 'paid')).status).toBe(200);
    // node-b learns of it from the bus (its periodic reload is 30 s away)
    await eventually(async () => ((await invoke(b, secret, 'paid')).status === 200 ? true : undefined), 5000);
    // the role still applies: an agent may not create tokens
    expect((await as(b, secret, 'POST', '/tokens', { name: 'x', role: 'admin' })).status).toBe(403);

    const listed = await eventually(async () => {
      const res = await b.request('GET', '/tokens');
      const item = res.body.items.find((i: { name: string }) => i.name === 'ci-bot');
      return item?.lastUsedAt ? res.body.items : undefined;
    });
    expect(listed.map((i: { name: string; source: string }) => [i.name, i.source])).toEqual([
      ['admin', 'bootstrap'],
      ['agent', 'bootstrap'],
      ['viewer', 'bootstrap'],
      ['ci-bot', 'runtime'],
    ]);
    expect(JSON.stringify(listed)).not.toContain(secret);

    expect((await b.request('DELETE', '/tokens/ci-bot')).status).toBe(204);
    // Revoked on the node that did not revoke it within a second, through the bus alone.
    await eventually(
      async () => ((await invoke(a, secret, 'paid')).status === 401 ? true : undefined),
      1000,
      'node-a to refuse the revoked token',
    );
    expect((await invoke(b, secret, 'paid')).status).toBe(401);
    expect((await b.request('DELETE', '/tokens/ci-bot')).status).toBe(404);

    const audit = await a.request('GET', '/audit');
    const actions = audit.body.items.map(
      (e: { action: string; target: string }) => `${e.action} ${e.target}`,
    );
    expect(actions).toEqual(expect.arrayContaining(['token.create ci-bot', 'token.revoke ci-bot']));
  });

  it('limits a scoped token to its modules with 403, and refuses an expired one with 401', async () => {
    const scoped = await a.request('POST', '/tokens', {
      name: 'paid-only',
      role: 'viewer',
      modules: ['paid'],
    });
    const secret = scoped.body.token as string;
    expect((await invoke(a, secret, 'paid')).body.output).toBe(2);
    const other = await invoke(a, secret, 'free');
    expect([other.status, other.body.error.message]).toEqual([
      403,
      'token paid-only may invoke only paid, not free',
    ]);

    // An expiry in the past is refused up front; one that passes makes the token refused.
    const past = await a.request('POST', '/tokens', {
      name: 'stale',
      role: 'viewer',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    expect([past.status, past.body.error.message]).toEqual([400, 'expiresAt is in the past']);
    await a.app
      .get(DataSource)
      .query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'paid-only'`);
    // Any change of tokens reloads every node's cache.
    await a.request('POST', '/tokens', { name: 'reload', role: 'viewer' });
    await eventually(async () => ((await invoke(b, secret, 'paid')).status === 401 ? true : undefined), 5000);
    const expired = await invoke(a, secret, 'paid');
    expect([expired.status, expired.body.error.message]).toEqual([401, 'token paid-only has expired']);
  });

  it('keeps API_TOKENS names for the bootstrap set and refuses bad names', async () => {
    const reused = await a.request('POST', '/tokens', { name: 'admin', role: 'viewer' });
    expect([reused.status, reused.body.error.code]).toEqual([409, 'conflict']);
    expect((await a.request('DELETE', '/tokens/admin')).status).toBe(409);
    await a.request('POST', '/tokens', { name: 'twice', role: 'viewer' });
    expect((await a.request('POST', '/tokens', { name: 'twice', role: 'viewer' })).status).toBe(409);
    expect((await a.request('POST', '/tokens', { name: 'a b', role: 'viewer' })).status).toBe(400);
    expect((await a.request('DELETE', '/tokens/a%20b')).status).toBe(400);
    expect((await a.request('GET', '/tokens', undefined, { role: 'viewer' })).status).toBe(403);
  });
});
