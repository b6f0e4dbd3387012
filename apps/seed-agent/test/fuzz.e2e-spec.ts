import fc from 'fast-check';
import { RouteCatalog, type RouteInfo } from '../src/http/route-catalog';
import { settledVersion, startTestApp, TestApp, TOKENS } from './harness';

const V1 = 'export default (input: { n: number }) => input.n * 2;';
const UUID = '0b9a6a8e-3c1f-4c55-9a43-2f1f6f0c9d11';
const VALID: Record<string, string> = { name: 'target', id: UUID, jobId: UUID, tokenName: 'no-such-token' };
/** Streams that never end on their own: not a request/response route to fuzz. */
const SKIPPED = new Set(['GET /events']);

/** Strings an attacker tries first, mixed with arbitrary ones. */
const hostileString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '😀',
    '',
    ' ',
    '..',
    '%',
    'x'.repeat(300),
    'UPPER',
  ),
);

/** JSON text of any shape, sometimes nested far deeper than any sane body (built as text: stringify would overflow). */
const hostileJson: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.dictionary(hostileString, fc.oneof(hostileString, fc.jsonValue())).map((value) => JSON.stringify(value)),
  fc
    .array(fc.record({ name: hostileString, input: fc.jsonValue() }), { maxLength: 5 })
    .map((value) => JSON.stringify(value)),
  fc
    .record({ name: hostileString, source: hostileString, input: fc.jsonValue(), versionId: hostileString })
    .map((value) => JSON.stringify(value)),
  fc
    .tuple(fc.integer({ min: 60, max: 20_000 }), fc.constantFrom('[', '{"input":'))
    .map(([depth, open]) => `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`),
);

/** A body as it goes on the wire: JSON with its type, no type, another type, or broken JSON. */
const hostileBody = fc.oneof(
  hostileJson.map((text) => ({ text, type: 'application/json' })),
  hostileJson.map((text) => ({ text, type: '' })),
  hostileString.map((text) => ({ text, type: 'text/plain' })),
  hostileString.map((text) => ({ text: `{"input":${text}`, type: 'application/json' })),
  fc.constant(undefined),
);

/** encodeURIComponent refuses lone surrogates: send their UTF-8 bytes as a client could. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

describe('property-based fuzz of every route', () => {
  let t: TestApp;
  let routes: RouteInfo[];

  beforeAll(async () => {
    t = await startTestApp({
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST: '1000000',
      // the fuzz sends thousands of unauthenticated requests from one address, public routes included
      RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
      RATE_LIMIT_PUBLIC_BURST: '1000000',
      AGENT_ENABLED: 'false',
    });
    const created = await t.request('POST', '/modules', { name: 'target', source: V1 });
    await settledVersion(t, 'target', created.body.versionId);
    routes = t.app
      .get(RouteCatalog)
      .routes()
      .filter((r) => !SKIPPED.has(`${r.method} ${r.path}`));
  });
  afterAll(() => t?.close());

  it('answers hostile requests with 4xx (or a documented 503), never another 5xx, and stays healthy', async () => {
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.dictionary(
          fc.constantFrom('name', 'id', 'jobId', 'tokenName'),
          fc.option(hostileString, { nil: undefined }),
        ),
        fc.option(fc.tuple(hostileString, hostileString), { nil: undefined }),
        hostileBody,
        async (pick, params, query, body) => {
          const route = routes[pick % routes.length];
          const path = route.path.replace(/:(\w+)/g, (_, name: string) =>
            encode(params[name] ?? VALID[name]),
          );
          const search = query ? `?${encode(query[0])}=${encode(query[1])}` : '';
          const headers: Record<string, string> = { authorization: `Bearer ${TOKENS.admin}` };
          if (body?.type) headers['content-type'] = body.type;
          const method = route.method;
          const sendsBody = body !== undefined && method !== 'GET';
          const response = await fetch(`${t.url}${path}${search}`, {
            method,
            headers,
            body: sendsBody ? body.text : undefined,
          });
          await response.arrayBuffer();
          if (response.status >= 500 && response.status !== 503)
            failures.push(
              `${method} ${path}${search} ${sendsBody ? body.text.slice(0, 200) : ''} → ${response.status}`,
            );
          return response.status < 500 || response.status === 503;
        },
      ),
      { seed: Number(process.env.FUZZ_SEED ?? 20261201), numRuns: 3000, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect((await fetch(`${t.url}/health/ready`)).status).toBe(200);
  });
});
