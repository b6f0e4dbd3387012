import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CapabilityError } from '@seed/runtime';
import { parseCidr } from './address-policy.js';
import { FetchClient, type Resolver } from './fetch-client.js';

const LOOPBACK = [parseCidr('127.0.0.1/32')];

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof CapabilityError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'ok';
}

/** ctx.fetch's client against a loopback server; nothing else is ever reached (names resolve through a stub). */
describe('FetchClient', () => {
  let server: Server;
  let port: number;
  let origin: string;
  const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> =
    [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/hop') return res.writeHead(302, { location: '/data' }).end();
        if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
        if (req.url === '/away')
          return res.writeHead(302, { location: `http://localhost:${port}/data` }).end();
        if (req.url === '/big') return res.end('x'.repeat(10_000));
        res
          .writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' })
          .end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    origin = `http://127.0.0.1:${port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (seen.length = 0));

  const bounds = () => ({ origins: [origin], timeoutMs: 5000, maxResponseBytes: 1000, maxRedirects: 3 });
  const get = (path: string) => ({ url: `${origin}${path}`, method: 'GET', headers: {} });

  it('fetches from a granted origin whose address the config allows', async () => {
    const client = new FetchClient(LOOPBACK);
    const result = await client.fetch(
      { url: `${origin}/data`, method: 'POST', headers: { 'x-key': 'k' }, body: 'hello' },
      bounds(),
    );
    expect(result).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(result.headers['x-test']).toBe('yes');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/data', body: 'hello' });
    expect(seen[0].headers['x-key']).toBe('k');
  });

  it('refuses loopback unless FETCH_ALLOW_CIDRS names it, before any connection', async () => {
    expect(await codeOf(new FetchClient([]).fetch(get('/data'), bounds()))).toMatch(
      /^capability_denied: .*loopback/,
    );
    expect(seen).toEqual([]);
  });

  it('refuses a hostname that resolves to a refused address', async () => {
    const resolver: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const client = new FetchClient([], resolver);
    const evil = `http://evil.test:${port}`;
    const code = await codeOf(
      client.fetch({ ...get('/data'), url: `${evil}/data` }, { ...bounds(), origins: [evil] }),
    );
    expect(code).toMatch(/^capability_denied: fetch: evil.test resolves to a refused address/);
    const metadata = new FetchClient([], async () => [{ address: '169.254.169.254', family: 4 }]);
    expect(
      await codeOf(metadata.fetch({ ...get('/'), url: `${evil}/` }, { ...bounds(), origins: [evil] })),
    ).toMatch(/metadata/);
    expect(seen).toEqual([]);
  });

  it('connects to the address it checked, with no second lookup', async () => {
    let lookups = 0;
    const resolver: Resolver = async () => {
      lookups++;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    // api.test exists in no DNS: the answer can only come from the checked address
    const api = `http://api.test:${port}`;
    const result = await new FetchClient(LOOPBACK, resolver).fetch(
      { ...get('/data'), url: `${api}/data` },
      { ...bounds(), origins: [api] },
    );
    expect(result.status).toBe(200);
    expect(lookups).toBe(1);
    expect(seen[0].headers.host).toBe(`api.test:${port}`);
  });

  it('follows redirects within the granted origins only', async () => {
    const client = new FetchClient(LOOPBACK);
    expect((await client.fetch(get('/hop'), bounds())).body).toBe('{"ok":true}');
    expect(await codeOf(client.fetch(get('/away'), bounds()))).toMatch(
      /^capability_denied: .*leaves the granted/,
    );
    expect(await codeOf(client.fetch(get('/loop'), bounds()))).toMatch(/^capability_limit: .*redirects/);
  });

  it('refuses a response past maxResponseBytes', async () => {
    expect(await codeOf(new FetchClient(LOOPBACK).fetch(get('/big'), bounds()))).toMatch(
      /^capability_limit: .*over 1000/,
    );
  });

  it('ignores proxy variables of the environment', async () => {
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = 'http://127.0.0.1:1';
    try {
      expect((await new FetchClient(LOOPBACK).fetch(get('/data'), bounds())).status).toBe(200);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });
});
