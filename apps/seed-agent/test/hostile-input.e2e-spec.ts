import { request as httpRequest, Agent } from 'node:http';
import { connect } from 'node:net';
import { RouteCatalog } from '../src/http/route-catalog';
import { ROUTE_PARAMS } from '../src/http/route-params';
import { settledVersion, startTestApp, TestApp, TOKENS } from './harness';

const V1 = 'export default (input: { n: number }) => input.n * 2;';
const UUID = '0b9a6a8e-3c1f-4c55-9a43-2f1f6f0c9d11';
/** A valid value of each route parameter, so that only the parameter under test is wrong. */
const VALID: Record<string, string> = { name: 'target', id: UUID, jobId: UUID, tokenName: 'no-such-token' };
const HOSTILE = ['%00', `a%00b`, 'x'.repeat(300), 'UPPER', '..', '%F0%9F%98%80', '%ED%A0%80', '1'];

/** A body sent as raw text with an admin token, JSON unless `contentType` says otherwise. */
async function raw(
  t: TestApp,
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
) {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKENS.admin}` };
  if (body !== undefined && contentType) headers['content-type'] = contentType;
  const response = await fetch(`${t.url}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('hostile callers and hostile input', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      PIPELINE_MAX_SOURCE_BYTES: '4000',
      HTTP_MAX_JSON_DEPTH: '64',
      HTTP_DIFF_MAX_EDIT_LENGTH: '20',
      // the route walk sends hundreds of requests with one token: the rate limit is not what this file tests
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST: '100000',
    });
    const created = await t.request('POST', '/modules', {
      name: 'target',
      source: V1,
      tests: [{ name: 'one', input: { n: 1 }, expect: 2 }],
    });
    expect(created.status).toBe(201);
    expect((await settledVersion(t, 'target', created.body.versionId)).status).toBe('active');
  });
  afterAll(() => t?.close());

  it('gives every route parameter of every route a parser', () => {
    const names = t.app
      .get(RouteCatalog)
      .routes()
      .flatMap((route) => [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => name));
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((name) => !(name in ROUTE_PARAMS))).toEqual([]);
  });

  it('answers a NUL, overlong or wrong-shaped route parameter of every route with a 4xx, never a 5xx', async () => {
    const failures: string[] = [];
    for (const route of t.app.get(RouteCatalog).routes()) {
      const params = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => name);
      for (const param of params) {
        for (const value of HOSTILE) {
          const path = route.path.replace(/:(\w+)/g, (_, name: string) =>
            name === param ? value : VALID[name],
          );
          // '1' is a valid job id shape for nothing and an invalid module name; '..' may normalise away.
          const res = await t.request(route.method, path, route.body ? {} : undefined);
          if (res.status >= 500) failures.push(`${route.method} ${path} → ${res.status}`);
        }
        // Without a body to refuse first, the parameter itself is what the 400 names.
        const nul = route.path.replace(/:(\w+)/g, (_, name: string) =>
          name === param ? '%00' : VALID[name],
        );
        const res = await t.request(route.method, nul, route.body ? {} : undefined);
        if (res.status !== 400 || (!route.body && !/is invalid/.test(res.body.error.message)))
          failures.push(`${route.method} ${nul} → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses NUL and lone surrogates in bodies and queries with 400, and still audits the attempt', async () => {
    const nulName = await t.request('POST', '/modules/target/tests', { name: 'a\u0000b', input: 1 });
    expect([nulName.status, nulName.body.error.code]).toEqual([400, 'invalid_request']);
    expect(nulName.body.error.message).toMatch(/body\.name: contains a NUL/);
    const surrogate = await raw(t, 'POST', '/modules/target/tests', '{"name":"s","input":"\\ud800"}');
    expect([surrogate.status, surrogate.body.error.code]).toEqual([400, 'invalid_request']);
    expect(surrogate.body.error.message).toMatch(/body\.input: contains a lone UTF-16 surrogate/);
    const key = await raw(t, 'POST', '/modules/target/invoke', '{"input":{"k\\u0000":1}}');
    expect(key.status).toBe(400);
    const query = await t.request('GET', '/events?module=a%00b');
    expect([query.status, query.body.error.code]).toEqual([400, 'invalid_request']);
    const notAName = await t.request('GET', '/events?module=NOPE!');
    expect([notAName.status, notAName.body.error.code]).toEqual([400, 'validation_failed']);
    const settings = await t.request('PATCH', '/modules/%00', { autoActivate: true });
    expect(settings.status).toBe(400);

    const audit = await t.request('GET', '/audit?limit=20');
    const outcomes = audit.body.items.map((r: { action: string; target: string; outcome: string }) =>
      [r.action, r.target, r.outcome].join(' '),
    );
    expect(outcomes).toEqual(
      expect.arrayContaining(['tests.add target invalid_request', 'settings \ufffd invalid_request']),
    );
  });

  it('refuses JSON nested deeper than HTTP_MAX_JSON_DEPTH with 400 json_too_deep, and accepts it at the bound', async () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const res = await raw(t, 'POST', '/modules/target/invoke', `{"input":${deep}}`);
    expect([res.status, res.body.error.code]).toEqual([400, 'json_too_deep']);
    expect(res.body.error.message).toMatch(/deeper than 64 levels \(HTTP_MAX_JSON_DEPTH\)/);
    const atBound = `${'['.repeat(63)}1${']'.repeat(63)}`;
    const ok = await raw(t, 'POST', '/modules/target/tests', `{"name":"deep","input":${atBound}}`);
    expect(ok.status).toBe(201);
  });

  it('refuses duplicate test names in one body with 400, and serialises identical concurrent replacements', async () => {
    const cases = [
      { name: 'one', input: { n: 1 }, expect: 2 },
      { name: 'two', input: { n: 2 }, expect: 4 },
    ];
    const duplicate = await t.request('PUT', '/modules/target/tests', [
      ...cases,
      { name: ' one ', input: 3 },
    ]);
    expect([duplicate.status, duplicate.body.error.code]).toEqual([400, 'validation_failed']);
    expect(duplicate.body.error.message).toMatch(/2\.name: duplicate test name "one"/);
    const added = await t.request('POST', '/modules/target/tests', [cases[1], cases[1]]);
    expect(added.status).toBe(400);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, async () => (await t.request('PUT', '/modules/target/tests', cases)).status),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    expect(
      (await t.request('GET', '/modules/target/tests')).body.items.map((c: { name: string }) => c.name),
    ).toEqual(['one', 'two']);
  });

  it('answers a body that is not declared JSON with 415, and keeps bodiless requests working', async () => {
    const body = JSON.stringify({ name: 'typed', source: V1 });
    const text = await raw(t, 'POST', '/modules', body, 'text/plain');
    expect([text.status, text.body.error.code]).toEqual([415, 'unsupported_media_type']);
    expect(text.body.error.message).toMatch(/content-type: application\/json \(got "text\/plain"\)/);
    const untyped = await raw(t, 'POST', '/modules', body, '');
    expect([untyped.status, untyped.body.error.code]).toEqual([415, 'unsupported_media_type']);
    const form = await raw(t, 'POST', '/modules', 'name=x', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    // the data plane's route lives beside Nest's: its hooks' refusals have the same shape
    const plain = await raw(t, 'POST', '/modules/target/invoke', '{"input":1}', 'text/plain');
    expect([plain.status, plain.body.error.code]).toEqual([415, 'unsupported_media_type']);
    const broken = await raw(t, 'POST', '/modules/target/invoke', '{"input":', 'application/json');
    expect([broken.status, broken.body.error.code]).toEqual([400, 'invalid_request']);
    const charset = await raw(
      t,
      'POST',
      '/modules/target/invoke',
      '{"input":{"n":2}}',
      'application/json; charset=utf-8',
    );
    expect(charset.status).toBe(200);
    // Nothing to roll back to: refused for that (404), not for its missing body.
    const rollback = await raw(t, 'POST', '/modules/target/rollback');
    expect(rollback.status).toBe(404);
  });

  it('closes the connection after refusing an overlong URL, so the next keep-alive request works', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) =>
      new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
        const req = httpRequest(`${t.url}${path}`, { agent }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect((await get('/health')).status).toBe(200);
      const long = await get(`/modules/target?pad=${'x'.repeat(20_000)}`);
      expect([long.status, long.connection]).toEqual([431, 'close']);
      expect(JSON.parse(long.body).error.code).toBe('headers_too_large');
      expect((await get('/health')).status).toBe(200);
      expect((await get('/health')).status).toBe(200);
    } finally {
      agent.destroy();
    }

    // The same on a raw socket: the answer arrives whole, then the server ends the connection.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(t.url).port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(
        `GET /health?pad=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`,
      );
    });
    expect(answer).toMatch(/^HTTP\/1\.1 431 [\s\S]*connection: close[\s\S]*"headers_too_large"/i);
  });

  it('bounds ?diff=parent with 422 diff_too_large, and still diffs small changes', async () => {
    const lines = (prefix: string) => Array.from({ length: 60 }, (_, i) => `// ${prefix} ${i}`).join('\n');
    const small = await t.request('POST', '/modules/target/versions', { source: `${V1}\n// small change` });
    const smallView = await t.request('GET', `/modules/target/versions/${small.body.versionId}?diff=parent`);
    expect(smallView.status).toBe(200);
    expect(smallView.body.diff).toMatch(/\+\/\/ small change/);
    const base = await t.request('POST', '/modules/target/versions', { source: `${V1}\n${lines('a')}` });
    const other = await t.request('POST', '/modules/target/versions', {
      source: `${V1}\n${lines('b')}`,
      parentVersionId: base.body.versionId,
    });
    const res = await t.request('GET', `/modules/target/versions/${other.body.versionId}?diff=parent`);
    expect([res.status, res.body.error.code]).toEqual([422, 'diff_too_large']);
    expect(res.body.error.message).toMatch(/HTTP_DIFF_MAX_EDIT_LENGTH/);
  });

  it('refuses an oversized source with 413 source_too_large before storing it', async () => {
    const before = (await t.request('GET', '/modules/target/versions')).body.total;
    const big = `${V1}\n//${'x'.repeat(5000)}`;
    const submitted = await t.request('POST', '/modules/target/versions', { source: big });
    expect([submitted.status, submitted.body.error.code]).toEqual([413, 'source_too_large']);
    expect(submitted.body.error.message).toMatch(/the limit is 4000 \(PIPELINE_MAX_SOURCE_BYTES\)/);
    const created = await t.request('POST', '/modules', { name: 'too-big', source: big });
    expect(created.status).toBe(413);
    expect((await t.request('GET', '/modules/target/versions')).body.total).toBe(before);
    expect((await t.request('GET', '/modules/too-big')).status).toBe(404);
  });
});
