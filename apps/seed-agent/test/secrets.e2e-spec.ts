import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { settledVersion, startTestApp, TestApp } from './harness';

const PLAINTEXT = `sk-live-${randomBytes(12).toString('hex')}`;

/** Module secrets: write-only, encrypted, substituted by ctx.fetch for their origins only, seen nowhere else. */
describe('secrets', () => {
  let t: TestApp;
  let server: Server;
  let origin = '';
  let otherOrigin = '';
  const received: Array<{ url?: string; headers: IncomingHttpHeaders }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push({ url: req.url, headers: req.headers });
      if (req.url === '/hop') return res.writeHead(302, { location: `${otherOrigin}/landed` }).end();
      // a careless API that echoes the credential back
      res
        .writeHead(200, { 'x-echo': String(req.headers.authorization) })
        .end(`you sent ${String(req.headers.authorization)}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    origin = `http://127.0.0.1:${port}`;
    otherOrigin = `http://localhost:${port}`;
    t = await startTestApp({
      FETCH_ALLOW_CIDRS: '127.0.0.1/32,::1/128',
      SECRETS_KEY: randomBytes(32).toString('hex'),
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('stores a secret write-only, substitutes it for its origins, and shows it nowhere else', async () => {
    const source = `export default async (input: { path: string }, ctx: any) => {
      const handle = ctx.secret('TOKEN');
      ctx.log('handle', handle);
      const res = await ctx.fetch(input.path, { headers: { authorization: 'Bearer ' + handle } });
      return { handle, status: res.status, body: res.body, echo: res.headers['x-echo'] ?? null };
    };`;
    const created = await t.request('POST', '/modules', {
      name: 'with-secret',
      source,
      tests: [],
      settings: { capabilities: { fetch: { origins: [origin, otherOrigin] }, secrets: ['TOKEN'] } },
    });
    expect((await settledVersion(t, 'with-secret', created.body.versionId)).status).toBe('active');

    const put = await t.request('PUT', '/modules/with-secret/secrets/TOKEN', {
      value: PLAINTEXT,
      origins: [origin],
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ name: 'TOKEN', origins: [origin] });
    expect(
      (
        await t.request(
          'PUT',
          '/modules/with-secret/secrets/TOKEN',
          { value: 'x', origins: [origin] },
          { role: 'agent' },
        )
      ).status,
    ).toBe(403);
    expect(
      (await t.request('PUT', '/modules/with-secret/secrets/bad-name', { value: 'x', origins: [origin] }))
        .status,
    ).toBe(400);
    const listed = await t.request('GET', '/modules/with-secret/secrets');
    expect(listed.body.items).toEqual([{ name: 'TOKEN', origins: [origin], updatedAt: expect.any(String) }]);

    const res = await t.request('POST', '/modules/with-secret/invoke', {
      input: { path: `${origin}/api` },
      debug: true,
    });
    expect(res.status).toBe(200);
    expect(received.at(-1)?.headers.authorization).toBe(`Bearer ${PLAINTEXT}`);
    expect(res.body.output.handle).toMatch(/^seed-secret-/);
    expect(res.body.output.body).toBe('you sent Bearer [secret]');
    expect(res.body.output.echo).toBe('Bearer [secret]');

    // a redirect to an origin the secret is not bound to gets the placeholder, not the value
    const hop = await t.request('POST', '/modules/with-secret/invoke', { input: { path: `${origin}/hop` } });
    expect(hop.status).toBe(200);
    expect(received.at(-1)?.url).toBe('/landed');
    expect(received.at(-1)?.headers.authorization).toBe(`Bearer ${hop.body.output.handle}`);
    // a new placeholder per invocation
    expect(hop.body.output.handle).not.toBe(res.body.output.handle);

    const seen = [JSON.stringify(res.body), JSON.stringify(hop.body), JSON.stringify(listed.body)];
    const dataSource = t.app.get(DataSource);
    for (const table of ['audit_log', 'module_versions', 'modules', 'module_state', 'activations']) {
      seen.push(JSON.stringify(await dataSource.query(`SELECT * FROM ${table}`)));
    }
    const sealed = (await dataSource.query('SELECT sealed FROM module_secrets')) as Array<{ sealed: Buffer }>;
    expect(sealed).toHaveLength(1);
    expect(sealed[0].sealed.includes(Buffer.from(PLAINTEXT))).toBe(false);
    const events = await t.request('GET', '/audit');
    seen.push(JSON.stringify(events.body));
    for (const text of seen) expect(text).not.toContain(PLAINTEXT);
  });

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
