import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CapabilityError } from '@seed/runtime';
import { parseCidr } from './address-policy.js';
import { FetchClient, type Resolver } from './fetch-client.js';

const LOOPBACK = [parseCidr('127.0.0.1/32')];
/** a secret's plaintext as the broker's scrub hook knows it; a valid DNS label, so a Location can carry it */
const PLAIN = 'sk-live-0123456789abcdef';
const scrub = (text: string) => text.split(PLAIN).join('[secret]');

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
  let connections = 0;
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
        if (req.url === '/leak')
          return res.writeHead(302, { location: `http://${PLAIN}.evil.test:${port}/x` }).end();
        res
          .writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' })
          .end(JSON.stringify({ ok: true }));
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    origin = `http://127.0.0.1:${port}`;
  });
  const clients: FetchClient[] = [];
  const client = (allow = LOOPBACK, resolver?: Resolver) => {
    const made = new FetchClient(allow, resolver);
    clients.push(made);
    return made;
  };
  afterAll(async () => {
    clients.forEach((c) => c.onModuleDestroy());
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => (seen.length = 0));

  const bounds = () => ({ origins: [origin], timeoutMs: 5000, maxResponseBytes: 1000, maxRedirects: 3 });
  const get = (path: string) => ({ url: `${origin}${path}`, method: 'GET', headers: {} });

  it('fetches from a granted origin whose address the config allows', async () => {
    const fetcher = client(LOOPBACK);
    const result = await fetcher.fetch(
      { url: `${origin}/data`, method: 'POST', headers: { 'x-key': 'k' }, body: 'hello' },
      bounds(),
    );
    expect(result).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(result.headers['x-test']).toBe('yes');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/data', body: 'hello' });
    expect(seen[0].headers['x-key']).toBe('k');
  });

  it('refuses loopback unless FETCH_ALLOW_CIDRS names it, before any connection', async () => {
    expect(await codeOf(client([]).fetch(get('/data'), bounds()))).toMatch(/^capability_denied: .*loopback/);
    expect(seen).toEqual([]);
  });

  it('refuses a hostname that resolves to a refused address', async () => {
    const resolver: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const fetcher = client([], resolver);
    const evil = `http://evil.test:${port}`;
    const code = await codeOf(
      fetcher.fetch({ ...get('/data'), url: `${evil}/data` }, { ...bounds(), origins: [evil] }),
    );
    expect(code).toMatch(/^capability_denied: fetch: evil.test resolves to a refused address/);
    const metadata = client([], async () => [{ address: '169.254.169.254', family: 4 }]);
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
    const result = await client(LOOPBACK, resolver).fetch(
      { ...get('/data'), url: `${api}/data` },
      { ...bounds(), origins: [api] },
    );
    expect(result.status).toBe(200);
    expect(lookups).toBe(1);
    expect(seen[0].headers.host).toBe(`api.test:${port}`);
  });

  it('follows redirects within the granted origins only', async () => {
    const fetcher = client(LOOPBACK);
    expect((await fetcher.fetch(get('/hop'), bounds())).body).toBe('{"ok":true}');
    expect(await codeOf(fetcher.fetch(get('/away'), bounds()))).toMatch(
      /^capability_denied: .*leaves the granted/,
    );
    expect(await codeOf(fetcher.fetch(get('/loop'), bounds()))).toMatch(/^capability_limit: .*redirects/);
  });

  it('counts every redirect before it is requested, through onRedirect', async () => {
    const hops: string[] = [];
    await client().fetch(get('/hop'), bounds(), { onRedirect: (url) => hops.push(url.pathname) });
    expect(hops).toEqual(['/data']);
    const limited = client().fetch(get('/hop'), bounds(), {
      onRedirect: () => {
        throw new CapabilityError('capability_limit', 'fetch: more than 1 requests');
      },
    });
    expect(await codeOf(limited)).toBe('capability_limit: fetch: more than 1 requests');
    expect(seen.map((s) => s.url)).toEqual(['/hop', '/data', '/hop']);
  });

  it("keeps no secret's plaintext in the error of a refused redirect, a refused address or a failed lookup", async () => {
    const api = `http://api.test:${port}`;
    const evil = `http://${PLAIN}.evil.test:${port}`;
    const resolving =
      (evilAnswer: () => Promise<Array<{ address: string; family: number }>>): Resolver =>
      async (host) =>
        host === 'api.test' ? [{ address: '127.0.0.1', family: 4 }] : evilAnswer();
    const leak = { ...get('/leak'), url: `${api}/leak` };
    const errors = [
      // the redirect leaves the granted origins
      await codeOf(
        client(
          LOOPBACK,
          resolving(async () => []),
        ).fetch(leak, { ...bounds(), origins: [api] }, { scrub }),
      ),
      // granted, but it resolves to a private address
      await codeOf(
        client(
          LOOPBACK,
          resolving(async () => [{ address: '10.0.0.1', family: 4 }]),
        ).fetch(leak, { ...bounds(), origins: [api, evil] }, { scrub }),
      ),
      // granted, but it does not resolve
      await codeOf(
        client(
          LOOPBACK,
          resolving(async () => {
            throw new Error(`getaddrinfo ENOTFOUND ${PLAIN}.evil.test`);
          }),
        ).fetch(leak, { ...bounds(), origins: [api, evil] }, { scrub }),
      ),
    ];
    expect(errors).toEqual([
      expect.stringMatching(/^capability_denied: .*\[secret\]\.evil\.test.*leaves the granted/),
      expect.stringMatching(/^capability_denied: .*\[secret\]\.evil\.test resolves to a refused address/),
      expect.stringMatching(/^capability_unavailable: .*\[secret\]\.evil\.test does not resolve/),
    ]);
    for (const error of errors) expect(error).not.toContain(PLAIN);
  });

  it('keeps a connection alive per checked address: repeated fetches reuse it', async () => {
    const pooled = client();
    const before = connections;
    for (let i = 0; i < 5; i++) expect((await pooled.fetch(get('/data'), bounds())).status).toBe(200);
    expect(connections - before).toBe(1);
  });

  it('refuses a response past maxResponseBytes', async () => {
    expect(await codeOf(client(LOOPBACK).fetch(get('/big'), bounds()))).toMatch(
      /^capability_limit: .*over 1000/,
    );
  });

  it('ignores proxy variables of the environment', async () => {
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = 'http://127.0.0.1:1';
    try {
      expect((await client(LOOPBACK).fetch(get('/data'), bounds())).status).toBe(200);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });
});
