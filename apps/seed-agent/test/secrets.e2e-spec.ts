import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { ensureBuilt } from './ensure-built';
import { eventually, request, SHARED_REDIS_URL, startTestApp, TOKENS } from './harness';
import { type AppNodes, spawnAppNodes } from './support/app-nodes';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { openEventStream, type EventStreamClient } from './support/event-stream';
import { Client } from './support/pg';
import { uniquePrefix } from './support/redis';

// a valid DNS label, so a hostile redirect can put it in a Location's host
const PLAINTEXT = `sk-live-${randomBytes(12).toString('hex')}`;
/** the forms a leak could take in a dump: as it is, hex (bytea as text), base64 */
const NEEDLES = [
  PLAINTEXT,
  Buffer.from(PLAINTEXT).toString('hex'),
  Buffer.from(PLAINTEXT).toString('base64'),
];

/** Every value under the Redis prefix (job data and results, events, metrics), as text. */
async function redisDump(prefix: string): Promise<string[]> {
  const redis = new Redis(SHARED_REDIS_URL);
  const out: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        const value =
          type === 'string'
            ? await redis.get(key)
            : type === 'hash'
              ? await redis.hgetall(key)
              : type === 'list'
                ? await redis.lrange(key, 0, -1)
                : type === 'set'
                  ? await redis.smembers(key)
                  : type === 'zset'
                    ? await redis.zrange(key, 0, -1, 'WITHSCORES')
                    : type === 'stream'
                      ? await redis.xrange(key, '-', '+')
                      : null;
        out.push(`${key} ${JSON.stringify(value)}`);
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return out;
}

/** Every row of every table, as PostgreSQL's text of the row; module_secrets without its sealed column. */
async function postgresDump(url: string): Promise<string[]> {
  const client = new Client(url);
  await client.connect();
  try {
    const tables = await client.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const out: string[] = [];
    for (const { table_name: table } of tables.rows) {
      const sql =
        table === 'module_secrets'
          ? `SELECT module_id, name, key_id, origins, updated_at FROM module_secrets t`
          : `SELECT t::text AS row FROM "${table}" t`;
      const rows = await client.query(sql);
      out.push(`${table} ${JSON.stringify(rows.rows)}`);
    }
    expect(tables.rows.length).toBeGreaterThan(10);
    return out;
  } finally {
    await client.end();
  }
}

/** Module secrets: write-only, encrypted, substituted by ctx.fetch for their origins only, seen nowhere else. */
describe('secrets', () => {
  let nodes: AppNodes | undefined;
  let db: TestDatabase | undefined;
  let events: EventStreamClient | undefined;
  let server: Server;
  let origin = '';
  let otherOrigin = '';
  let port = 0;
  const received: Array<{ url?: string; headers: IncomingHttpHeaders }> = [];

  beforeAll(async () => {
    await ensureBuilt();
    server = createServer((req, res) => {
      received.push({ url: req.url, headers: req.headers });
      if (req.url === '/hop') return res.writeHead(302, { location: `${otherOrigin}/landed` }).end();
      // a hostile API: its redirect names the credential in a host no grant covers, or in the path of a granted
      // origin on a refused address
      if (req.url === '/leak-away')
        return res.writeHead(302, { location: `http://${PLAINTEXT}.example.test/` }).end();
      if (req.url === '/leak-granted')
        return res.writeHead(302, { location: `http://127.0.0.2:${port}/${PLAINTEXT}` }).end();
      // a careless API that echoes the credential back
      res
        .writeHead(200, { 'x-echo': String(req.headers.authorization) })
        .end(`you sent ${String(req.headers.authorization)}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    origin = `http://127.0.0.1:${port}`;
    otherOrigin = `http://localhost:${port}`;
  }, 240_000);
  afterAll(async () => {
    await events?.close();
    await nodes?.dispose();
    await db?.drop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('stores a secret write-only, substitutes it for its origins, and shows it nowhere else', async () => {
    db = await createTestDatabase();
    const prefix = uniquePrefix('secrets');
    // a process of its own, so everything it logs (at debug) is scanned
    nodes = await spawnAppNodes(['secrets-node'], {
      databaseUrl: db.url,
      redisPrefix: prefix,
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'debug',
        FETCH_ALLOW_CIDRS: '127.0.0.1/32',
        SECRETS_KEY: randomBytes(32).toString('hex'),
      },
    });
    const [{ base, app }] = nodes.nodes;
    const call = (method: string, path: string, body?: unknown, role: 'admin' | 'agent' = 'admin') =>
      request(base, method, path, body, { role });
    events = await openEventStream(`${base}/events`, TOKENS.admin);

    const source = `export default async (input: { path: string; rethrow?: boolean; show?: boolean }, ctx: any) => {
      const handle = ctx.secret('TOKEN');
      ctx.log('handle', handle);
      try {
        const res = await ctx.fetch(input.path, { headers: { authorization: 'Bearer ' + handle } });
        ctx.log('answer', res.status, res.body, res.headers);
        const out = { status: res.status, body: res.body, echo: res.headers['x-echo'] ?? null };
        return input.show ? { ...out, handle } : out;
      } catch (e: any) {
        ctx.log('failed', e.code, e.message);
        if (input.rethrow) throw e;
        return { handle, code: e.code, message: e.message };
      }
    };`;
    const created = await call('POST', '/modules', {
      name: 'with-secret',
      source,
      tests: [
        {
          name: 'served by a fixture',
          input: { path: `${origin}/api` },
          expect: { status: 200, body: 'fixture', echo: null },
          fixtures: { fetch: [{ url: `${origin}/api`, response: { status: 200, body: 'fixture' } }] },
        },
      ],
      settings: {
        capabilities: {
          fetch: { origins: [origin, otherOrigin, `http://127.0.0.2:${port}`] },
          secrets: ['TOKEN'],
        },
      },
    });
    expect(created.status).toBe(201);
    await eventually(
      async () =>
        (await call('GET', `/jobs/${created.body.versionId}`)).body.state === 'completed' ? true : undefined,
      30_000,
      'the submission to complete',
    );

    const put = await call('PUT', '/modules/with-secret/secrets/TOKEN', {
      value: PLAINTEXT,
      origins: [origin],
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ name: 'TOKEN', origins: [origin] });
    expect(
      (await call('PUT', '/modules/with-secret/secrets/TOKEN', { value: 'x', origins: [origin] }, 'agent'))
        .status,
    ).toBe(403);
    expect(
      (await call('PUT', '/modules/with-secret/secrets/bad-name', { value: 'x', origins: [origin] })).status,
    ).toBe(400);
    const listed = await call('GET', '/modules/with-secret/secrets');
    expect(listed.body.items).toEqual([{ name: 'TOKEN', origins: [origin], updatedAt: expect.any(String) }]);

    const invoke = (input: Record<string, unknown>) =>
      call('POST', '/modules/with-secret/invoke', { input: { show: true, ...input }, debug: true });
    const res = await invoke({ path: `${origin}/api` });
    expect(res.status).toBe(200);
    expect(received.at(-1)?.headers.authorization).toBe(`Bearer ${PLAINTEXT}`);
    expect(res.body.output.handle).toMatch(/^seed-secret-/);
    expect(res.body.output.body).toBe('you sent Bearer [secret]');
    expect(res.body.output.echo).toBe('Bearer [secret]');

    // a redirect to an origin the secret is not bound to gets the placeholder, not the value
    const hop = await invoke({ path: `${origin}/hop` });
    expect(hop.status).toBe(200);
    expect(received.at(-1)?.url).toBe('/landed');
    expect(received.at(-1)?.headers.authorization).toBe(`Bearer ${hop.body.output.handle}`);
    // a new placeholder per invocation
    expect(hop.body.output.handle).not.toBe(res.body.output.handle);

    // refused redirects whose Location carries the plaintext: caught, escaped (422, logged), and a failed lookup
    const away = await invoke({ path: `${origin}/leak-away` });
    expect(away.body.output).toMatchObject({
      code: 'capability_denied',
      message: expect.stringContaining('[secret]'),
    });
    const escaped = await invoke({ path: `${origin}/leak-away`, rethrow: true });
    expect(escaped.status).toBe(422);
    expect(escaped.body.error.code).toBe('capability_denied');
    // a granted origin, but on a refused address (FETCH_ALLOW_CIDRS admits 127.0.0.1 only)
    const granted = await invoke({ path: `${origin}/leak-granted`, rethrow: true });
    expect(granted.status).toBe(422);
    expect(granted.body.error.message).toContain('127.0.0.2 resolves to a refused address');

    const seen = [res, hop, away, escaped, granted, listed, put].map((r) => JSON.stringify(r.body));
    seen.push(JSON.stringify((await call('GET', '/audit')).body));
    seen.push(JSON.stringify((await call('GET', `/jobs/${created.body.versionId}`)).body));
    seen.push(JSON.stringify((await call('GET', '/modules/with-secret')).body));
    seen.push(await (await fetch(`${base}/metrics`)).text());
    await eventually(() => (events!.events.length > 0 ? true : undefined), 10_000, 'events');
    seen.push(JSON.stringify(events.events));
    seen.push(...(await redisDump(prefix)));
    seen.push(...(await postgresDump(db.url)));
    const logs = app.lines.map((l) => l.text);
    // the scan would find a leak: debug logging is on, and the escaped failures were logged
    expect(logs.length).toBeGreaterThan(20);
    seen.push(...logs);

    const client = new Client(db.url);
    await client.connect();
    const sealed = await client.query('SELECT sealed FROM module_secrets');
    await client.end();
    expect(sealed.rows).toHaveLength(1);
    expect((sealed.rows[0].sealed as Buffer).includes(Buffer.from(PLAINTEXT))).toBe(false);

    // only the loopback server ever saw it: as the header of the first request
    expect(received.filter((r) => JSON.stringify(r.headers).includes(PLAINTEXT))).toHaveLength(
      received.filter((r) => r.headers.authorization === `Bearer ${PLAINTEXT}`).length,
    );
    const leaks = seen.filter((text) => NEEDLES.some((needle) => text.includes(needle)));
    expect(leaks).toEqual([]);
  }, 120_000);

  it('answers 503 with the reason when SECRETS_KEY is not set', async () => {
    const other = await startTestApp();
    try {
      await other.request('POST', '/modules', {
        name: 'plain',
        source: 'export default () => 1;',
        tests: [],
      });
      const res = await other.request('PUT', '/modules/plain/secrets/TOKEN', {
        value: 'v',
        origins: [origin],
      });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('secrets_unavailable');
      expect(res.body.error.message).toContain('SECRETS_KEY');
    } finally {
      await other.close();
    }
  });
});
