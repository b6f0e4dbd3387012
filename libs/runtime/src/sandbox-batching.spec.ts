import type { SandboxLimits } from '@seed/config';
import type { CapabilitySession } from './capability-session.js';
import { compileModule } from './compile.js';
import { InvokeError } from './failures.js';
import { LoadedVersion, type JsonValue } from './loaded-version.js';

// Batching: calls of one version share crossings into the isolate, and still succeed or fail one by one.

const LIMITS: SandboxLimits = {
  memoryMb: 24,
  cpuTimeoutMs: 200,
  wallTimeoutMs: 2000,
  concurrency: 8,
  queueLimit: 8,
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

/** Each call tells the host it started (ctx.kv.set, not awaited): the host's list is what ran, and how often. */
function recorder() {
  const ran: string[] = [];
  const session = (): CapabilitySession => ({
    granted: ['kv'],
    maxCalls: 10,
    request: (_capability, op, args) => {
      if (op === 'set') ran.push(String(args[1]));
      return Promise.resolve(undefined);
    },
  });
  return { ran, session };
}

/** Settles every call; a failure becomes its code. */
async function outcomes(calls: Promise<{ output: JsonValue }>[]): Promise<JsonValue[]> {
  return Promise.all(
    calls.map((call) =>
      call.then(
        (result) => result.output,
        (error: unknown) => {
          if (error instanceof InvokeError) return `!${error.code}`;
          throw error;
        },
      ),
    ),
  );
}

const count = (list: string[], value: string) => list.filter((x) => x === value).length;

describe('batched crossings', () => {
  it('runs the calls of one turn in one task of the isolate', async () => {
    // a task's microtasks run at its end: calls in one task all see the turn before the counter moves on
    const version = await load(`
      let turn = 0;
      let counting = false;
      export default () => {
        if (!counting) {
          counting = true;
          Promise.resolve().then(() => { counting = false; turn++; });
        }
        return turn;
      };
    `);
    const turns = await outcomes(Array.from({ length: 8 }, () => version.invoke(null)));
    expect(new Set(turns).size).toBe(1);
    // a later turn is a later task
    expect((await version.invoke(null)).output).toBe((turns[0] as number) + 1);
  });

  it('times out only the looping call; every call beside it completes exactly once', async () => {
    const version = await load(`
      export default (input: { n: number; loop?: boolean }, ctx: any) => {
        ctx.kv.set('ran', String(input.n)).catch(() => undefined);
        while (input.loop) {}
        return input.n;
      };
    `);
    const { ran, session } = recorder();
    const inputs = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => ({ n, loop: n === 3 }));
    const results = await outcomes(inputs.map((input) => version.invoke(input, { capabilities: session() })));
    expect(results).toEqual([0, 1, 2, '!timeout', 4, 5, 6, 7]);
    // the calls after the looping one had not started: they ran once, in a fresh isolate
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7]) expect(count(ran, String(n))).toBe(1);
  });

  it('times out a call that loops after an await, and runs the calls beside it once', async () => {
    const version = await load(`
      export default async (input: { n: number; loop?: boolean }, ctx: any) => {
        ctx.kv.set('ran', String(input.n)).catch(() => undefined);
        await null;
        while (input.loop) {}
        return input.n;
      };
    `);
    const { ran, session } = recorder();
    const inputs = [0, 1, 2, 3].map((n) => ({ n, loop: n === 1 }));
    const results = await outcomes(inputs.map((input) => version.invoke(input, { capabilities: session() })));
    expect(results).toEqual([0, '!timeout', 2, 3]);
    for (const n of [0, 1, 2, 3]) expect(count(ran, String(n))).toBe(1);
  });

  it('sends the calls that arrived while a batch timed out to the fresh isolate, once each', async () => {
    const version = await load(`
      export default (input: { n: number; loop?: boolean }, ctx: any) => {
        ctx.kv.set('ran', String(input.n)).catch(() => undefined);
        while (input.loop) {}
        return input.n;
      };
    `);
    const { ran, session } = recorder();
    const looping = outcomes([version.invoke({ n: 0, loop: true }, { capabilities: session() })]);
    // the looping call's batch has crossed; these wait for the next crossing
    await new Promise((resolve) => setImmediate(resolve));
    const later = outcomes([1, 2, 3].map((n) => version.invoke({ n }, { capabilities: session() })));
    expect(await looping).toEqual(['!timeout']);
    expect(await later).toEqual([1, 2, 3]);
    for (const n of [0, 1, 2, 3]) expect(count(ran, String(n))).toBe(1);
  });

  it('gives every call the whole CPU timeout: busy calls of one turn do not add up in one task', async () => {
    // three calls of 100 ms each under a 250 ms timeout: one task for all three would time the last one out
    const version = await load(
      `export default (n: number) => { const end = Date.now() + 100; while (Date.now() < end) {} return n; };`,
      { cpuTimeoutMs: 250, wallTimeoutMs: 5000 },
    );
    expect(await outcomes([1, 2, 3].map((n) => version.invoke(n)))).toEqual([1, 2, 3]);
  });

  it('charges nobody for a loop a finished call left behind, and retires the isolate', async () => {
    const version = await load(`
      let calls = 0;
      export default (input: { n: number; stray?: boolean }) => {
        calls++;
        if (input.stray) Promise.resolve().then(() => { while (true) {} });
        return [input.n, calls];
      };
    `);
    const results = await outcomes([0, 1, 2].map((n) => version.invoke({ n, stray: n === 0 })));
    expect(results).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    // the stray loop ran past the CPU timeout after the three had reported: the next call starts afresh
    expect((await version.invoke({ n: 3 })).output).toEqual([3, 1]);
  });

  it('does not hold the other calls of a batch while one awaits a capability', async () => {
    const version = await load(`
      export default async (input: { n: number; wait?: boolean }, ctx: any) =>
        input.wait ? await ctx.kv.get('slow') : input.n;
    `);
    let answer!: (value: JsonValue) => void;
    const slow: CapabilitySession = {
      granted: ['kv'],
      maxCalls: 10,
      request: () => new Promise((resolve) => (answer = resolve)),
    };
    const waiting = version.invoke({ n: 0, wait: true }, { capabilities: slow });
    const others = outcomes([1, 2, 3].map((n) => version.invoke({ n })));
    expect(await others).toEqual([1, 2, 3]);
    answer('answered');
    expect((await waiting).output).toBe('answered');
  });

  describe('two callers, one hostile: the other caller’s calls succeed exactly once', () => {
    const SOURCE = `
      export default (input: { who: string; n: number; attack?: string }, ctx: any) => {
        ctx.kv.set('ran', input.who + input.n).catch(() => undefined);
        switch (input.attack) {
          case 'huge': return 'x'.repeat(200_000);
          case 'deep': { let v: unknown = 1; for (let i = 0; i < 200_000; i++) v = [v]; return v; }
          case 'cycle': { const o: Record<string, unknown> = {}; o.self = o; return o; }
          case 'bigint': return { n: BigInt(10) };
          case 'throw-proxy': throw new Proxy({}, { get() { throw new Error('no reading me'); } });
          case 'throw-huge': throw 'y'.repeat(5_000_000);
          case 'getter-loop': return { get a() { while (true) {} } };
          case 'loop': while (true) {}
          case 'bomb': { const list: unknown[] = []; while (true) list.push({ s: 'x' + Math.random() }); }
        }
        return input.who + input.n;
      };
    `;

    it.each([
      ['a huge output', 'huge', '!output_too_large'],
      // V8 in the isolate walks 200,000 levels without running out of stack, for longer than the CPU timeout
      ['a deeply nested output', 'deep', '!timeout'],
      ['a cyclic output', 'cycle', '!output_not_json'],
      ['an output JSON cannot hold', 'bigint', '!output_not_json'],
      ['a thrown proxy that throws on every read', 'throw-proxy', '!runtime_error'],
      ['a thrown 5 MB string', 'throw-huge', '!runtime_error'],
      ['an output whose getter loops', 'getter-loop', '!timeout'],
      ['an endless loop', 'loop', '!timeout'],
    ])('%s', async (_what, attack, code) => {
      const version = await load(SOURCE);
      const { ran, session } = recorder();
      const inputs = [
        { who: 'a', n: 0 },
        { who: 'b', n: 0, attack },
        { who: 'a', n: 1 },
        { who: 'b', n: 1, attack },
        { who: 'a', n: 2 },
        { who: 'a', n: 3 },
      ];
      const results = await outcomes(
        inputs.map((input) => version.invoke(input, { capabilities: session() })),
      );
      expect(results).toEqual(['a0', code, 'a1', code, 'a2', 'a3']);
      for (const n of [0, 1, 2, 3]) expect(count(ran, `a${n}`)).toBe(1);
      // and the version serves on
      expect((await version.invoke({ who: 'a', n: 9 }, { capabilities: session() })).output).toBe('a9');
    });

    it('a call that exhausts the memory limit', async () => {
      // the GC works hard near the limit, slower on a busy machine: only the memory limit may end it
      const version = await load(SOURCE, { cpuTimeoutMs: 30_000, wallTimeoutMs: 30_000 });
      const { ran, session } = recorder();
      const inputs = [
        { who: 'a', n: 0 },
        { who: 'a', n: 1 },
        { who: 'b', n: 0, attack: 'bomb' },
        { who: 'a', n: 2 },
        { who: 'a', n: 3 },
      ];
      const results = await outcomes(
        inputs.map((input) => version.invoke(input, { capabilities: session() })),
      );
      expect(results).toEqual(['a0', 'a1', '!memory_limit', 'a2', 'a3']);
      for (const n of [0, 1, 2, 3]) expect(count(ran, `a${n}`)).toBe(1);
    });
  });
});
