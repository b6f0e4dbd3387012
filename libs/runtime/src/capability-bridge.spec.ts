import type { SandboxLimits } from '@seed/config';
import { CapabilityError, type CapabilityName, type CapabilitySession } from './capability-session.js';
import { compileModule } from './compile.js';
import { InvokeError } from './failures.js';
import { LoadedVersion, type JsonValue } from './loaded-version.js';

const LIMITS: SandboxLimits = {
  memoryMb: 24,
  cpuTimeoutMs: 200,
  wallTimeoutMs: 1000,
  concurrency: 4,
  queueLimit: 4,
  maxOutputBytes: 100_000,
  maxLogBytes: 200,
  maxLogLines: 100,
};

const loaded: LoadedVersion[] = [];
afterAll(() => loaded.forEach((v) => v.dispose()));

async function load(source: string, limits: Partial<SandboxLimits> = {}) {
  const compiled = await compileModule(source);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const version = await LoadedVersion.load({
    module: 'm',
    versionId: 'v1',
    code: compiled.code,
    limits: { ...LIMITS, ...limits },
  });
  loaded.push(version);
  return version;
}

type Handler = (
  capability: CapabilityName,
  op: string,
  args: readonly JsonValue[],
) => Promise<JsonValue | undefined>;

/** A session whose requests are recorded and answered by `handler`. */
function session(granted: CapabilityName[], handler: Handler, maxCalls = 10) {
  const requests: Array<{ capability: string; op: string; args: readonly JsonValue[] }> = [];
  const s: CapabilitySession = {
    granted,
    maxCalls,
    secretHandles: { TOKEN: 'seed-secret-abc' },
    request: (capability, op, args) => {
      requests.push({ capability, op, args });
      return handler(capability, op, args);
    },
  };
  return { session: s, requests };
}

async function failure(call: Promise<unknown>): Promise<InvokeError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof InvokeError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('capability bridge', () => {
  it('leaves every capability undefined without a grant', async () => {
    const v = await load(
      'export default (_: unknown, ctx: any) => [ctx.kv, ctx.call, ctx.fetch, ctx.model, ctx.secret].map((c) => typeof c);',
    );
    expect((await v.invoke(null)).output).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ]);
    const { session: s } = session(['kv'], () => Promise.resolve(null));
    expect((await v.invoke(null, { capabilities: s })).output).toEqual([
      'object',
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ]);
  });

  it('sends copied arguments to the host and copies the result in', async () => {
    const v = await load(`export default async (_: unknown, ctx: any) => {
      await ctx.kv.set('a', { n: 1 });
      const got = await ctx.kv.get('a');
      const called = await ctx.call('other', { x: 2 });
      return { got, called, secret: ctx.secret('TOKEN') };
    }`);
    const store = new Map<string, JsonValue>();
    const { session: s, requests } = session(['kv', 'call', 'secret'], (capability, op, args) => {
      if (capability === 'kv' && op === 'set') store.set(String(args[0]), args[1]);
      if (capability === 'kv' && op === 'get') return Promise.resolve(store.get(String(args[0])) ?? null);
      if (capability === 'call') return Promise.resolve({ echoed: args[1] });
      return Promise.resolve(undefined);
    });
    expect((await v.invoke(null, { capabilities: s })).output).toEqual({
      got: { n: 1 },
      called: { echoed: { x: 2 } },
      secret: 'seed-secret-abc',
    });
    expect(requests.map((r) => `${r.capability}.${r.op}`)).toEqual(['kv.set', 'kv.get', 'call.call']);
  });

  it('hands a capability failure to the module as a CapabilityError it can catch, or fails the call with its code', async () => {
    const v = await load(`export default async (catchIt: boolean, ctx: any) => {
      if (!catchIt) return ctx.kv.get('a');
      try { await ctx.kv.get('a'); } catch (e: any) { return [e instanceof ctx.CapabilityError, e.code, e.message]; }
    }`);
    const { session: s } = session(['kv'], () =>
      Promise.reject(new CapabilityError('quota_exceeded', 'the kv quota is spent')),
    );
    expect((await v.invoke(true, { capabilities: s })).output).toEqual([
      true,
      'quota_exceeded',
      'the kv quota is spent',
    ]);
    const error = await failure(v.invoke(false, { capabilities: s }));
    expect(error.code).toBe('quota_exceeded');
  });

  it("parses a fetch response's body with res.json(), or rejects with invalid_json the module can catch", async () => {
    const v = await load(`export default async (input: { path: string; rethrow?: boolean }, ctx: any) => {
      const res = await ctx.fetch('https://api.test' + input.path);
      if (input.rethrow) return res.json();
      try {
        return { status: res.status, body: res.body, json: await res.json() };
      } catch (e: any) {
        return [e instanceof ctx.CapabilityError, e.code, e.message];
      }
    }`);
    const { session: s } = session(['fetch'], (_capability, _op, args) =>
      Promise.resolve({
        status: 200,
        headers: {},
        body: String(args[0]).endsWith('/json') ? '{"ok":[1,2]}' : '<html>not json',
      }),
    );
    expect((await v.invoke({ path: '/json' }, { capabilities: s })).output).toEqual({
      status: 200,
      body: '{"ok":[1,2]}',
      json: { ok: [1, 2] },
    });
    expect((await v.invoke({ path: '/html' }, { capabilities: s })).output).toEqual([
      true,
      'invalid_json',
      'fetch: the response body (status 200) is not JSON',
    ]);
    const escaped = await failure(v.invoke({ path: '/html', rethrow: true }, { capabilities: s }));
    expect(escaped.code).toBe('invalid_json');
  });

  it('does not let the module forge a capability failure code', async () => {
    const v = await load(
      "export default (_: unknown, ctx: any) => { throw new ctx.CapabilityError('capability_unavailable', 'fake'); };",
    );
    const error = await failure(v.invoke(null));
    expect(error.code).toBe('runtime_error');
  });

  it('bounds the capability calls of one invocation', async () => {
    const v = await load(`export default async (_: unknown, ctx: any) => {
      let ok = 0;
      try { for (let i = 0; i < 10; i++) { await ctx.kv.get('k'); ok++; } } catch (e: any) { return [ok, e.code]; }
    }`);
    const { session: s } = session(['kv'], () => Promise.resolve(null), 3);
    expect((await v.invoke(null, { capabilities: s })).output).toEqual([3, 'capability_limit']);
  });

  it('refuses arguments that are not JSON or too large before they reach the host', async () => {
    const v = await load(`export default async (_: unknown, ctx: any) => {
      const codes = [];
      try { await ctx.kv.set('a', 1n); } catch (e: any) { codes.push(e.code); }
      try { await ctx.kv.set('a', 'x'.repeat(2 * 1024 * 1024)); } catch (e: any) { codes.push(e.code); }
      return codes;
    }`);
    const { session: s, requests } = session(['kv'], () => Promise.resolve(null));
    expect((await v.invoke(null, { capabilities: s })).output).toEqual([
      'invalid_capability_args',
      'capability_limit',
    ]);
    expect(requests).toEqual([]);
  });

  it('ends a module waiting on a capability at its wall-clock timeout, and serves the next call', async () => {
    const v = await load(
      "export default async (wait: boolean, ctx: any) => (wait ? ctx.kv.get('never') : 'ok');",
      { wallTimeoutMs: 300 },
    );
    const { session: s } = session(['kv'], () => new Promise(() => undefined));
    expect((await failure(v.invoke(true, { capabilities: s }))).code).toBe('timeout');
    expect((await v.invoke(false, { capabilities: s })).output).toBe('ok');
  });

  it('applies the CPU timeout to code that runs after a capability answered', async () => {
    const v = await load(
      "export default async (_: unknown, ctx: any) => { await ctx.kv.get('a'); while (true) {} };",
      { wallTimeoutMs: 5000 },
    );
    const { session: s } = session(['kv'], () => Promise.resolve(null));
    expect((await failure(v.invoke(null, { capabilities: s }))).code).toBe('timeout');
  });

  it('keeps working when the module replaced the built-ins the bridge uses', async () => {
    const v = await load(`export default async (_: unknown, ctx: any) => {
      JSON.stringify = () => 'forged';
      JSON.parse = () => 'forged';
      (globalThis as any).Promise = function () { throw new Error('no'); };
      Object.defineProperty(Object.prototype, 'resolve', { get() { throw new Error('trap'); } });
      return ctx.kv.get('a');
    }`);
    const { session: s, requests } = session(['kv'], () => Promise.resolve({ fine: true }));
    expect((await v.invoke(null, { capabilities: s })).output).toEqual({ fine: true });
    expect(requests).toEqual([{ capability: 'kv', op: 'get', args: ['a'] }]);
  });
});
