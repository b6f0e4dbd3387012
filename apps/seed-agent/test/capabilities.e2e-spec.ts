import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ModelRegistry } from '@seed/integrations';
import { MockLanguageModelV4 } from 'ai/test';
import { eventually, settledVersion, startTestApp, TestApp } from './harness';

/** The fenced blocks of docs/capabilities.md in the section titled `section`, by language. */
function docBlocks(section: string, lang: string): string[] {
  const doc = readFileSync(join(__dirname, '../../../docs/capabilities.md'), 'utf8');
  const body = doc.split(/^## /m).find((part) => part.startsWith(section)) ?? '';
  return [...body.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/** ctx.kv and ctx.call over HTTP, granted (or not) in module settings by an admin. */
describe('capabilities through the control API', () => {
  let t: TestApp;
  // the only server ctx.fetch reaches: loopback, admitted by FETCH_ALLOW_CIDRS
  let server: Server;
  let origin = '';
  const received: IncomingHttpHeaders[] = [];
  // responses to /hold wait here until a test releases them
  const held: Array<() => void> = [];

  const modules: Record<
    string,
    { source: string; capabilities?: Record<string, unknown>; limits?: Record<string, number> }
  > = {
    plain: {
      source:
        'export default (_: unknown, ctx: any) => [ctx.kv, ctx.call, ctx.fetch, ctx.model, ctx.secret].map((c) => typeof c);',
    },
    counter: {
      source: `export default async (_: unknown, ctx: any) => {
        const n = ((await ctx.kv.get('n')) ?? 0) + 1;
        await ctx.kv.set('n', n);
        return n;
      };`,
      capabilities: { kv: {} },
    },
    notes: {
      source: `export default async (input: any, ctx: any) => {
        try {
          if (input.op === 'set') return await ctx.kv.set(input.key, input.value, input.ttlMs ? { ttlMs: input.ttlMs } : undefined) ?? 'ok';
          if (input.op === 'get') return await ctx.kv.get(input.key);
          if (input.op === 'delete') return await ctx.kv.delete(input.key);
          return await ctx.kv.list(input.prefix);
        } catch (e: any) {
          if (input.rethrow) throw e;
          return { code: e.code, message: e.message };
        }
      };`,
      capabilities: { kv: { maxKeys: 3, maxBytes: 200 } },
    },
    adder: { source: 'export default (input: { a: number; b: number }) => input.a + input.b;' },
    failing: { source: "export default () => { throw new Error('callee broke'); };" },
    composer: {
      source: `export default async (input: any, ctx: any) => {
        if (input.target) {
          try { return await ctx.call(input.target, input.input ?? null); } catch (e: any) { return { code: e.code, message: e.message }; }
        }
        const sum = await ctx.call('adder', { a: input.a, b: input.b });
        return { sum, doubled: await ctx.call('adder', { a: sum, b: sum }) };
      };`,
      capabilities: { call: ['adder', 'failing', 'ping'] },
    },
    ping: {
      source: "export default (input: unknown, ctx: any) => ctx.call('pong', input);",
      capabilities: { call: ['pong'] },
    },
    pong: {
      source: "export default (input: unknown, ctx: any) => ctx.call('ping', input);",
      capabilities: { call: ['ping'] },
    },
    d1: {
      source: "export default (n: number, ctx: any) => ctx.call('d2', n + 1);",
      capabilities: { call: ['d2'] },
    },
    d2: {
      source: "export default (n: number, ctx: any) => ctx.call('d3', n + 1);",
      capabilities: { call: ['d3'] },
    },
    d3: { source: 'export default (n: number) => n;' },
  };

  const invoke = (name: string, input: unknown = null) =>
    t.request('POST', `/modules/${name}/invoke`, { input });

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push(req.headers);
      if (req.url === '/away') return res.writeHead(302, { location: 'http://localhost:1/' }).end();
      if (req.url === '/hold') return held.push(() => res.end('"held"'));
      if (req.url === '/html') return res.end('<html>not json</html>');
      if (req.url === '/motto') return res.end('{"motto":"carpe diem"}');
      const hops = /^\/r\/(\d+)$/.exec(req.url ?? '');
      if (hops && hops[1] !== '0') return res.writeHead(302, { location: `/r/${Number(hops[1]) - 1}` }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    modules.fetcher = {
      source: `export default async (input: { urls: string[] }, ctx: any) => {
        const out = [];
        for (const url of input.urls) {
          try {
            const res = await ctx.fetch(url, { headers: { 'x-from': 'module' } });
            out.push({ status: res.status, json: JSON.parse(res.body) });
          } catch (e: any) {
            out.push({ code: e.code });
          }
        }
        return out;
      };`,
      capabilities: { fetch: { origins: [origin], maxRequests: 3 } },
    };
    modules['json-fetcher'] = {
      source: `export default async (input: { path: string; rethrow?: boolean }, ctx: any) => {
        const res = await ctx.fetch('${origin}' + input.path);
        if (input.rethrow) return res.json();
        try { return await res.json(); } catch (e: any) { return { code: e.code }; }
      };`,
      capabilities: { fetch: { origins: [origin] } },
    };
    modules.swapped = {
      source: `export default async (_: unknown, ctx: any) => {
        const res = await ctx.fetch('${origin}/hold');
        return 'v1 ' + res.body;
      };`,
      capabilities: { fetch: { origins: [origin], timeoutMs: 60_000 } },
      // the call waits while a new version goes through the pipeline
      limits: { wallTimeoutMs: 60_000 },
    };
    modules['swap-caller'] = {
      source: "export default (_: unknown, ctx: any) => ctx.call('swapped', null);",
      capabilities: { call: ['swapped'] },
      limits: { wallTimeoutMs: 60_000 },
    };
    modules.thinker = {
      source: `export default async (input: { prompt: string }, ctx: any) => {
        const texts = [];
        try {
          for (let i = 0; i < 10; i++) {
            const { text, usage } = await ctx.model.generate({ prompt: input.prompt + i, maxTokens: 50 });
            texts.push([text, usage.totalTokens]);
          }
        } catch (e: any) {
          return { texts, code: e.code };
        }
        return { texts };
      };`,
      capabilities: { model: { model: 'mock', maxTokensPerCall: 50, maxTokensPerDay: 120 } },
    };
    t = await startTestApp({
      SANDBOX_MAX_CALL_DEPTH: '2',
      FETCH_ALLOW_CIDRS: '127.0.0.1/32',
      SECRETS_KEY: randomBytes(32).toString('hex'),
    });
    t.app.get(ModelRegistry).register(
      'mock',
      () =>
        new MockLanguageModelV4({
          provider: 'mock',
          modelId: 'mock',
          doGenerate: async (options) => ({
            content: [{ type: 'text', text: `echo ${JSON.stringify(options.prompt).length}` }],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: {
              inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
              outputTokens: { total: 10, text: 10, reasoning: 0 },
            },
            warnings: [],
          }),
        }),
    );
    await Promise.all(
      Object.entries(modules).map(async ([name, { source, capabilities, limits }]) => {
        const settings = { ...(capabilities ? { capabilities } : {}), ...(limits ? { limits } : {}) };
        const res = await t.request('POST', '/modules', { name, source, tests: [], settings });
        expect(res.status).toBe(201);
        expect((await settledVersion(t, name, res.body.versionId)).status).toBe('active');
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('gives a module without grants no capability at all', async () => {
    expect((await invoke('plain')).body.output).toEqual(Array(5).fill('undefined'));
  });

  it("withholds the capabilities of an agent's pin to a version that is neither active nor canary", async () => {
    const submitted = await t.request('POST', '/modules/counter/versions', {
      source: `export default async (_: unknown, ctx: any) => { await ctx.kv.set('pinned', true); return 'wrote'; };`,
      activate: false,
    });
    expect((await settledVersion(t, 'counter', submitted.body.versionId)).status).toBe('ready');
    const pinned = (role: 'admin' | 'agent') =>
      t.request(
        'POST',
        '/modules/counter/invoke',
        { input: null },
        { role, headers: { 'seed-version': submitted.body.versionId } },
      );
    const agent = await pinned('agent');
    expect(agent.body.error?.code).toBe('capability_unavailable');
    expect(agent.headers.get('seed-version-served')).toBe(submitted.body.versionId);
    // an admin's pin is a deliberate act: the version runs with the module's grants
    expect((await pinned('admin')).body.output).toBe('wrote');
  });

  it('keeps kv state across calls, shared by the module', async () => {
    expect((await invoke('counter')).body.output).toBe(1);
    expect((await invoke('counter')).body.output).toBe(2);
  });

  it('sets, lists by prefix, deletes, and expires entries', async () => {
    expect((await invoke('notes', { op: 'set', key: 'a:1', value: { x: 1 } })).body.output).toBe('ok');
    expect((await invoke('notes', { op: 'set', key: 'a:2', value: [2] })).body.output).toBe('ok');
    expect((await invoke('notes', { op: 'list', prefix: 'a:' })).body.output).toEqual([
      { key: 'a:1', value: { x: 1 } },
      { key: 'a:2', value: [2] },
    ]);
    expect((await invoke('notes', { op: 'delete', key: 'a:2' })).body.output).toBe(true);
    expect((await invoke('notes', { op: 'delete', key: 'a:2' })).body.output).toBe(false);
    expect((await invoke('notes', { op: 'set', key: 'brief', value: 1, ttlMs: 1 })).body.output).toBe('ok');
    await eventually(
      async () =>
        (await invoke('notes', { op: 'get', key: 'brief' })).body.output === null ? true : undefined,
      10_000,
      'the entry to expire',
    );
    expect((await invoke('notes', { op: 'delete', key: 'a:1' })).body.output).toBe(true);
  });

  it('refuses writes past the quota with quota_exceeded, catchable or as the call failure', async () => {
    for (const key of ['q1', 'q2', 'q3']) {
      expect((await invoke('notes', { op: 'set', key, value: 1 })).body.output).toBe('ok');
    }
    const over = await invoke('notes', { op: 'set', key: 'q4', value: 1 });
    expect(over.body.output.code).toBe('quota_exceeded');
    // rewriting an existing key stays within the key count
    expect((await invoke('notes', { op: 'set', key: 'q1', value: 2 })).body.output).toBe('ok');
    const big = await invoke('notes', { op: 'set', key: 'q1', value: 'x'.repeat(300), rethrow: true });
    expect(big.status).toBe(422);
    expect(big.body.error.code).toBe('quota_exceeded');
    const bad = await invoke('notes', { op: 'get', key: '' });
    expect(bad.body.output.code).toBe('invalid_capability_args');
  });

  it('composes modules with ctx.call, each in its own isolate', async () => {
    expect((await invoke('composer', { a: 2, b: 3 })).body.output).toEqual({ sum: 5, doubled: 10 });
  });

  it("turns the callee's failure into call_failed, which the caller can catch", async () => {
    const out = (await invoke('composer', { target: 'failing' })).body.output;
    expect(out.code).toBe('call_failed');
    expect(out.message).toMatch(/failing failed \(runtime_error\).*callee broke/);
  });

  it('refuses a module the grant does not list', async () => {
    expect((await invoke('composer', { target: 'counter' })).body.output.code).toBe('capability_denied');
  });

  it('detects cycles and the depth limit', async () => {
    const cycle = await invoke('ping', 1);
    expect(cycle.status).toBe(422);
    expect(cycle.body.error.code).toBe('call_cycle');
    expect(cycle.body.error.message).toContain('ping → pong → ping');
    const deep = await invoke('d1', 0);
    expect(deep.body.error.code).toBe('call_depth');
    expect((await invoke('d2', 0)).body.output).toBe(1);
  });

  it('follows grant changes an admin makes, and refuses them to other roles', async () => {
    const denied = await t.request(
      'PATCH',
      '/modules/plain',
      { capabilities: { kv: {} } },
      { role: 'agent' },
    );
    expect(denied.status).toBe(403);
    const res = await t.request('PATCH', '/modules/plain', { capabilities: { kv: {} } });
    expect(res.status).toBe(200);
    expect((await invoke('plain')).body.output).toEqual(['object', ...Array(4).fill('undefined')]);
    const invalid = await t.request('PATCH', '/modules/plain', { capabilities: { kv: { maxKeys: 0 } } });
    expect(invalid.status).toBe(400);
  });

  describe('in the pipeline', () => {
    const source = `export default async (input: { name: string }, ctx: any) => {
      const seen = ((await ctx.kv.get('seen')) ?? 0) + 1;
      await ctx.kv.set('seen', seen);
      const sum = await ctx.call('adder', { a: seen, b: 1 });
      return { name: input.name, seen, sum };
    };`;
    const tests = [
      {
        name: 'served from fixtures',
        input: { name: 'x' },
        expect: { name: 'x', seen: 42, sum: 100 },
        fixtures: { kv: { seen: 41 }, call: [{ module: 'adder', input: { a: 42, b: 1 }, output: 100 }] },
      },
    ];

    it('serves capabilities from the cases fixtures, never from the world', async () => {
      const res = await t.request('POST', '/modules', {
        name: 'fixtured',
        source,
        tests,
        settings: { capabilities: { kv: {}, call: ['adder'] } },
      });
      expect(res.status).toBe(201);
      const version = await settledVersion(t, 'fixtured', res.body.versionId);
      expect(version.status).toBe('active');
      // the pipeline wrote no kv state: the live module starts from an empty store
      expect((await invoke('fixtured', { name: 'live' })).body.output).toEqual({
        name: 'live',
        seen: 1,
        sum: 2,
      });
      const listed = await t.request('GET', '/modules/fixtured/tests');
      expect(listed.body.items[0].fixtures).toEqual(tests[0].fixtures);
    });

    it('rejects a candidate whose call no fixture answers, naming the call', async () => {
      const res = await t.request('POST', '/modules/fixtured/versions', {
        source: source.replace(
          "ctx.call('adder', { a: seen, b: 1 })",
          "ctx.call('adder', { a: seen, b: 2 })",
        ),
        activate: true,
      });
      expect(res.status).toBe(202);
      const version = await settledVersion(t, 'fixtured', res.body.versionId);
      expect(version.status).toBe('rejected');
      expect(version.diagnostics[0].message).toContain(
        'unexpected_capability_call: unexpected call adder {"a":42,"b":2}',
      );
    });
  });

  it('runs the example of docs/capabilities.md with its case and fixtures, then live', async () => {
    // the doc's API is the loopback server here; its grant block names the same capabilities
    const api = (text: string) => text.split('https://api.example.com').join(origin);
    const [source] = docBlocks('Example', 'ts').map(api);
    const [testCase] = docBlocks('In the gates', 'json').map((block) => JSON.parse(api(block)));
    const [grant] = docBlocks('Example', 'json').map((block) => JSON.parse(api(block)));
    for (const capability of ['kv', 'call', 'fetch', 'model', 'secret'])
      expect(source).toContain(`ctx.${capability}`);
    const greeting = await t.request('POST', '/modules', {
      name: 'greeting',
      source: 'export default (input: { name: string }) => `Hello, ${input.name}`;',
      tests: [],
    });
    expect((await settledVersion(t, 'greeting', greeting.body.versionId)).status).toBe('active');
    const capabilities = { ...grant.capabilities, model: { model: 'mock' } };
    const res = await t.request('POST', '/modules', {
      name: 'visits',
      source,
      tests: [testCase],
      settings: { capabilities },
    });
    expect(res.status).toBe(201);
    expect((await settledVersion(t, 'visits', res.body.versionId)).status).toBe('active');
    const secret = await t.request('PUT', '/modules/visits/secrets/API_TOKEN', {
      value: 'example-token',
      origins: [origin],
    });
    expect(secret.status).toBe(200);
    expect((await invoke('visits', { name: 'Bob' })).body.output).toEqual({
      text: 'Hello, Bob (visit 1)',
      visits: 1,
      motto: 'carpe diem',
      word: expect.stringMatching(/^echo \d+$/),
    });
    expect(received.at(-1)?.authorization).toBe('Bearer example-token');
    expect((await invoke('visits', { name: 'Bob' })).body.output).toMatchObject({ visits: 2 });
  });

  it('fetches from granted origins only, within the request count, never leaving them on a redirect', async () => {
    const before = received.length;
    const urls = [`${origin}/a`, 'http://127.0.0.2:9/x', `${origin}/away`, `${origin}/b`, `${origin}/c`];
    const res = await invoke('fetcher', { urls });
    expect(res.body.output).toEqual([
      { status: 200, json: { path: '/a' } },
      { code: 'capability_denied' },
      { code: 'capability_denied' },
      { status: 200, json: { path: '/b' } },
      { code: 'capability_limit' },
    ]);
    expect(received.slice(before).map((h) => h['x-from'])).toEqual(['module', 'module', 'module']);
  });

  it('counts each redirect against the request count', async () => {
    const within = await invoke('fetcher', { urls: [`${origin}/r/2`, `${origin}/a`] });
    expect(within.body.output).toEqual([
      { status: 200, json: { path: '/r/0' } },
      { code: 'capability_limit' },
    ]);
    const past = await invoke('fetcher', { urls: [`${origin}/r/3`] });
    expect(past.body.output).toEqual([{ code: 'capability_limit' }]);
  });

  it('parses a response with res.json(); a body that is not JSON is invalid_json, 422 when it escapes', async () => {
    expect((await invoke('json-fetcher', { path: '/a' })).body.output).toEqual({ path: '/a' });
    expect((await invoke('json-fetcher', { path: '/html' })).body.output).toEqual({ code: 'invalid_json' });
    const escaped = await invoke('json-fetcher', { path: '/html', rethrow: true });
    expect(escaped.status).toBe(422);
    expect(escaped.body.error.code).toBe('invalid_json');
  });

  it('rejects a candidate whose fetch no fixture answers, naming it', async () => {
    const source = `export default async (_: unknown, ctx: any) => (await ctx.fetch('https://api.example.com/x')).body;`;
    const res = await t.request('POST', '/modules', {
      name: 'fetch-gated',
      source,
      tests: [
        {
          name: 'served',
          input: null,
          expect: 'hi',
          fixtures: { fetch: [{ url: 'https://api.example.com/x', response: { status: 200, body: 'hi' } }] },
        },
      ],
      settings: { capabilities: { fetch: { origins: ['https://api.example.com'] } } },
    });
    expect((await settledVersion(t, 'fetch-gated', res.body.versionId)).status).toBe('active');
    const next = await t.request('POST', '/modules/fetch-gated/versions', {
      source: source.replace('/x', '/y'),
      activate: true,
    });
    const version = await settledVersion(t, 'fetch-gated', next.body.versionId);
    expect(version.status).toBe('rejected');
    expect(version.diagnostics[0].message).toContain('unexpected fetch GET https://api.example.com/y');
  });

  it('asks the model within the per-call and per-day token budgets, and counts the usage in metrics', async () => {
    const res = await invoke('thinker', { prompt: 'hi' });
    // each call may spend 50 and spends 20: the fifth would pass 120
    expect(res.body.output.texts).toHaveLength(4);
    expect(res.body.output.texts[0]).toEqual([expect.stringMatching(/^echo \d+$/), 20]);
    expect(res.body.output.code).toBe('quota_exceeded');
    const metrics = await fetch(`${t.url}/metrics`, {
      headers: { authorization: `Bearer ${t.config.metricsToken}` },
    });
    expect(await metrics.text()).toMatch(
      /seed_agent_module_model_tokens_total\{module="thinker",kind="input"\} 40/,
    );
  });

  it('lets a call in flight finish on the callee version it started on when the callee is swapped', async () => {
    const first = invoke('swap-caller');
    await eventually(() => (held.length === 1 ? true : undefined), 10_000, 'the callee to wait on its fetch');
    const next = await t.request('POST', '/modules/swapped/versions', {
      source: "export default () => 'v2';",
      activate: true,
    });
    expect((await settledVersion(t, 'swapped', next.body.versionId)).status).toBe('active');
    held.shift()!();
    expect((await first).body.output).toBe('v1 "held"');
    expect((await invoke('swap-caller')).body.output).toBe('v2');
  });

  it('replays real inputs with the capability transcripts they were recorded with', async () => {
    const v1 = `export default async (input: { set?: string }, ctx: any) => {
      if (input.set) await ctx.kv.set('mode', input.set);
      return { mode: await ctx.kv.get('mode') };
    };`;
    const created = await t.request('POST', '/modules', {
      name: 'replayed',
      source: v1,
      tests: [],
      settings: { capabilities: { kv: {} } },
    });
    expect((await settledVersion(t, 'replayed', created.body.versionId)).status).toBe('active');
    expect((await invoke('replayed', { set: 'x' })).body.output).toEqual({ mode: 'x' });
    expect((await invoke('replayed', {})).body.output).toEqual({ mode: 'x' });

    // fails only if the recorded kv.get answer ('x') is served back: a replay without it would be inconclusive
    const strict = await t.request('POST', '/modules/replayed/versions', {
      source: `export default async (_: unknown, ctx: any) => {
        if ((await ctx.kv.get('mode')) === 'x') throw new Error('refuses x');
        return 1;
      };`,
      activate: true,
    });
    const rejected = await settledVersion(t, 'replayed', strict.body.versionId);
    expect(rejected.status).toBe('rejected');
    expect(JSON.stringify(rejected.diagnostics)).toContain('refuses x');

    // a call no transcript holds makes each sample inconclusive: left out, not a failure
    const other = await t.request('POST', '/modules/replayed/versions', {
      source: "export default async (_: unknown, ctx: any) => ({ other: await ctx.kv.get('other') });",
      activate: true,
    });
    const accepted = await settledVersion(t, 'replayed', other.body.versionId);
    expect(accepted.status).toBe('active');
    expect(accepted.testReport.cases.filter((c: { kind: string }) => c.kind === 'replay')).toEqual([]);
  });
});
