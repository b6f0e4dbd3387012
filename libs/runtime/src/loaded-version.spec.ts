import type { SandboxLimits } from '@seed/config';
import { compileModule } from './compile.js';
import { InvokeError, ModuleLoadError } from './failures.js';
import { IsolatePool } from './isolate-pool.js';
import { LoadedVersion } from './loaded-version.js';

const LIMITS: SandboxLimits = {
  memoryMb: 24,
  cpuTimeoutMs: 200,
  wallTimeoutMs: 1000,
  concurrency: 4,
  queueLimit: 4,
  maxOutputBytes: 10_000,
  maxLogBytes: 200,
  maxLogLines: 100,
};

const loaded: LoadedVersion[] = [];

async function load(source: string, limits: Partial<SandboxLimits> = {}, pool?: IsolatePool) {
  const compiled = await compileModule(source);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  const version = await LoadedVersion.load({
    module: 'm',
    versionId: 'v1',
    code: compiled.code,
    limits: { ...LIMITS, ...limits },
    pool,
  });
  loaded.push(version);
  return version;
}

/** The InvokeError a call fails with (the test fails if it succeeds). */
async function failure(call: Promise<unknown>): Promise<InvokeError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof InvokeError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const busy = (ms: number) => `const end = Date.now() + ${ms}; while (Date.now() < end) {}`;

afterAll(() => {
  for (const version of loaded) version.dispose();
});

describe('LoadedVersion', () => {
  describe('calls', () => {
    it('returns the output of a simple module, input and output copied as JSON', async () => {
      const version = await load(`
        type In = { items: number[] };
        export default (input: In) => {
          input.items.push(99);
          return { sum: input.items.reduce((a, b) => a + b, 0), at: new Date(0) };
        };
      `);
      const input = { items: [1, 2, 3] };
      const result = await version.invoke(input);
      expect(result.output).toEqual({ sum: 105, at: '1970-01-01T00:00:00.000Z' });
      expect(input.items).toEqual([1, 2, 3]);
      expect(result.logs).toEqual([]);
    });

    it('reports how long the call ran, its busy time included', async () => {
      const version = await load(`export default () => { ${busy(30)} return 1; };`);
      // a lower bound set by the module's own busy loop: what durationMs measures, not how fast it runs
      expect((await version.invoke(null)).durationMs).toBeGreaterThanOrEqual(25);
    });

    it('awaits an async module', async () => {
      const version = await load(`
        export default async (input: { n: number }) => {
          const doubled = await Promise.resolve(input.n * 2);
          return [doubled, await Promise.resolve().then(() => 'later')];
        };
      `);
      expect((await version.invoke({ n: 4 })).output).toEqual([8, 'later']);
    });

    it('passes a frozen ctx naming the module and version', async () => {
      const version = await load(`
        export default (_input: null, ctx: any) => {
          let reassigned = true;
          try { ctx.module = 'other'; } catch { reassigned = false; }
          return { module: ctx.module, version: ctx.version, frozen: Object.isFrozen(ctx), reassigned };
        };
      `);
      expect((await version.invoke(null)).output).toEqual({
        module: 'm',
        version: 'v1',
        frozen: true,
        reassigned: false,
      });
    });

    it('keeps globals between calls of one isolate', async () => {
      const version = await load(`let calls = 0; export default () => ++calls;`);
      await version.invoke(null);
      expect((await version.invoke(null)).output).toBe(2);
    });

    it('refuses an input JSON cannot represent, before running anything', async () => {
      const version = await load(`export default (x: unknown) => x;`);
      expect((await failure(version.invoke({ n: 1n }))).code).toBe('input_not_json');
      expect((await version.invoke(undefined)).output).toBeNull();
    });
  });

  describe('logs', () => {
    it('captures ctx.log lines, formatting values as JSON', async () => {
      const version = await load(`
        export default (input: unknown, ctx: any) => {
          ctx.log('got', input, 42);
          ctx.log(new TypeError('bad'));
          return 'done';
        };
      `);
      const result = await version.invoke({ a: 1 });
      expect(result.logs[0]).toBe('got {"a":1} 42');
      expect(result.logs[1]).toMatch(/^TypeError: bad/);
      expect(result.logsTruncated).toBe(false);
    });

    it('caps the logs of a call at maxLogBytes and marks the truncation', async () => {
      const version = await load(`
        export default (_: unknown, ctx: any) => {
          for (let i = 0; i < 1000; i++) ctx.log('line ' + i + ' ' + 'é'.repeat(10));
          return 'done';
        };
      `);
      const result = await version.invoke(null);
      expect(result.logsTruncated).toBe(true);
      const kept = result.logs.slice(0, -1);
      expect(Buffer.byteLength(kept.join(''), 'utf8')).toBeLessThanOrEqual(LIMITS.maxLogBytes);
      expect(kept.length).toBeGreaterThan(3);
      expect(result.logs.at(-1)).toMatch(/truncated/);
    });

    it('drops ctx.log when the caller does not capture logs', async () => {
      const version = await load(`export default (_: unknown, ctx: any) => { ctx.log('x'); return 1; };`);
      const result = await version.invoke(null, { captureLogs: false });
      expect(result).toMatchObject({ output: 1, logs: [], logsTruncated: false });
    });
  });

  describe('outputs', () => {
    it('fails with output_too_large above maxOutputBytes, counting UTF-8 bytes on the host', async () => {
      const version = await load(`
        export default (input: { n: number; char: string }) => input.char.repeat(input.n);
      `);
      expect((await failure(version.invoke({ n: 100_000, char: 'x' }))).code).toBe('output_too_large');
      // 4,000 characters pass the in-isolate length check but are 12,002 bytes of JSON
      const error = await failure(version.invoke({ n: 4000, char: '€' }));
      expect(error.code).toBe('output_too_large');
      expect(error.message).toMatch(/12002 bytes/);
      expect((await version.invoke({ n: 3, char: '€' })).output).toBe('€€€');
    });

    it.each([
      ['undefined', 'return undefined;'],
      ['a function', 'return () => 1;'],
      ['a BigInt', 'return { n: 1n };'],
      ['a cycle', 'const a: any = {}; a.self = a; return a;'],
    ])('fails with output_not_json for %s', async (_what, body) => {
      const version = await load(`export default (): any => { ${body} };`);
      expect((await failure(version.invoke(null))).code).toBe('output_not_json');
    });
  });

  describe('failures', () => {
    it('reports a runtime error with its message and the line in the TypeScript source', async () => {
      const version = await load(
        [
          'interface Input {',
          '  name: string;',
          '}',
          'type Unused = { a: number };',
          'export default function (input: Input, ctx: { log(...a: unknown[]): void }) {',
          "  ctx.log('before');",
          '  const parts: string[] = input.name.split(",");',
          '  return (parts as any).missing.length;',
          '}',
        ].join('\n'),
      );
      const error = await failure(version.invoke({ name: 'a,b' }));
      expect(error.code).toBe('runtime_error');
      expect(error.moduleFault).toBe(true);
      expect(error.message).toMatch(/^TypeError: Cannot read properties of undefined/);
      expect(error.line).toBe(8);
      expect(error.moduleStack).toMatch(/module\.ts:8:/);
      expect(error.logs).toEqual(['before']);
    });

    it('reports thrown non-errors as runtime errors', async () => {
      const version = await load(`export default () => { throw 'plain string'; };`);
      const error = await failure(version.invoke(null));
      expect(error).toMatchObject({ code: 'runtime_error', message: 'plain string' });
    });

    it("answers ctx.InputError (or a subclass) with invalid_input, the caller's fault", async () => {
      const version = await load(`
        class TooBig extends Error {}
        export default (input: { n: number }, ctx: ModuleContext) => {
          if (input.n > 10) throw new ctx.InputError('n must be at most 10');
          const Sub = class extends ctx.InputError {};
          if (input.n < 0) return Promise.reject(new Sub('negative'));
          throw new TooBig('not refused');
        };`);
      const refused = await failure(version.invoke({ n: 11 }));
      expect(refused).toMatchObject({
        code: 'invalid_input',
        message: 'n must be at most 10',
        moduleFault: false,
      });
      expect(await failure(version.invoke({ n: -1 }))).toMatchObject({
        code: 'invalid_input',
        message: 'negative',
      });
    });

    it('never takes a look-alike for an InputError: the harness marks its own', async () => {
      const version = await load(`
        export default (input: { how: string }, ctx: ModuleContext) => {
          if (input.how === 'name') { const e = new Error('forged'); e.name = 'InputError'; throw e; }
          if (input.how === 'proto') throw Object.create(ctx.InputError.prototype, { message: { value: 'forged' } });
          throw { name: 'InputError', message: 'forged', kind: 'input_error' };
        };`);
      for (const how of ['name', 'proto', 'object']) {
        expect(await failure(version.invoke({ how }))).toMatchObject({
          code: 'runtime_error',
          moduleFault: true,
        });
      }
    });

    // How close to its limit a timeout fires is measured by `npm run bench` (sandbox limits).
    it('stops an infinite loop at the CPU timeout, then serves the next call from a fresh isolate', async () => {
      const version = await load(
        `
        let calls = 0;
        export default (input: { loop: boolean }) => { calls++; while (input.loop) {} return calls; };
      `,
        // out of reach: only the CPU timeout can end the loop
        { wallTimeoutMs: 60_000 },
      );
      expect((await version.invoke({ loop: false })).output).toBe(1);
      const error = await failure(version.invoke({ loop: true }));
      expect(error.code).toBe('timeout');
      expect(error.message).toBe(`the module exceeded its CPU timeout of ${LIMITS.cpuTimeoutMs} ms`);
      expect(error.moduleFault).toBe(true);
      // nothing of the timed-out call survives: the module's globals start over
      expect((await version.invoke({ loop: false })).output).toBe(1);
    });

    it('lets the calls running beside a timed-out one finish', async () => {
      const version = await load(`
        export default async (input: { loop: boolean }) => { await null; while (input.loop) {} return 'beside'; };
      `);
      const looping = failure(version.invoke({ loop: true }));
      const beside = version.invoke({ loop: false });
      expect((await looping).code).toBe('timeout');
      expect((await beside).output).toBe('beside');
    });

    it('stops a loop that starts after an await at the CPU timeout', async () => {
      const version = await load(`export default async () => { await null; while (true) {} };`, {
        wallTimeoutMs: 60_000,
      });
      const error = await failure(version.invoke(null));
      expect(error.code).toBe('timeout');
      expect(error.message).toBe(`the module exceeded its CPU timeout of ${LIMITS.cpuTimeoutMs} ms`);
    });

    it('ends a promise that never resolves at the wall-clock timeout', async () => {
      const version = await load(`
        const pending: (() => void)[] = [];
        let calls = 0;
        export default async (input: { wait: boolean }) => {
          calls++;
          // a later call could resume an earlier one, were the isolate kept
          for (const resume of pending.splice(0)) resume();
          if (!input.wait) return calls;
          // kept reachable, so only the wall clock can end it
          await new Promise<void>((resolve) => pending.push(resolve));
          return 'resumed';
        };
      `);
      const error = await failure(version.invoke({ wait: true }));
      expect(error.code).toBe('timeout');
      expect(error.message).toBe(`the module did not finish within ${LIMITS.wallTimeoutMs} ms`);
      expect((await version.invoke({ wait: false })).output).toBe(1);
    });

    it('ends early, as a timeout, a promise that can provably never settle', async () => {
      const version = await load(`
        export default () => new Promise(() => {});
      `);
      expect((await failure(version.invoke(null))).code).toBe('timeout');
    });

    it('fails deep recursion with a RangeError, not a timeout', async () => {
      const version = await load(
        `const down = (n: number): number => down(n + 1) + 1; export default () => down(0);`,
      );
      const error = await failure(version.invoke(null));
      expect(error.code).toBe('runtime_error');
      expect(error.message).toMatch(/RangeError: Maximum call stack size exceeded/);
    });

    it('fails a heap bomb with memory_limit and recreates the isolate for the next call', async () => {
      const version = await load(
        `
        let calls = 0;
        export default (input: { bomb: boolean }) => {
          calls++;
          if (input.bomb) { const list: unknown[] = []; while (true) list.push({ n: Math.random(), s: 'x' + calls }); }
          return calls;
        };
      `,
        // the GC works hard near the limit, slower on a busy machine: only the memory limit may end it
        { cpuTimeoutMs: 30_000, wallTimeoutMs: 30_000 },
      );
      expect((await version.invoke({ bomb: false })).output).toBe(1);
      const error = await failure(version.invoke({ bomb: true }));
      expect(error.code).toBe('memory_limit');
      // a fresh isolate: the module's globals start over
      expect((await version.invoke({ bomb: false })).output).toBe(1);
    });

    it.each([
      ['one huge ArrayBuffer', 'new ArrayBuffer(1e9)'],
      ['many large buffers', 'for (let i = 0; i < 100; i++) keep.push(new Uint8Array(4e6));'],
    ])('fails %s with memory_limit and serves the next call', async (_what, bomb) => {
      const version = await load(`
        const keep: unknown[] = [];
        export default (input: { bomb: boolean }) => { if (input.bomb) { ${bomb}; } return 'fine'; };
      `);
      expect((await failure(version.invoke({ bomb: true }))).code).toBe('memory_limit');
      expect((await version.invoke({ bomb: false })).output).toBe('fine');
    });
  });

  describe('isolation', () => {
    it('exposes no Node API, host object or dynamic import', async () => {
      const version = await load(`
        export default async () => {
          const g = globalThis as any;
          let escaped: unknown;
          try { escaped = (function (this: any) { return this.constructor.constructor('return process')(); }).call({}); }
          catch (e) { escaped = 'threw ' + (e as Error).name; }
          const globalOfFunction = new Function('return this')();
          let imported: string;
          try { await (0, eval)("import('node:fs')"); imported = 'imported'; } catch (e) { imported = 'refused: ' + (e as Error).message; }
          return {
            process: typeof g.process, require: typeof g.require, buffer: typeof g.Buffer, module: typeof g.module,
            setTimeout: typeof g.setTimeout, fetch: typeof g.fetch, escaped, imported,
            sameGlobal: globalOfFunction === g,
            exports: typeof g.__seedModule,
            globals: Object.getOwnPropertyNames(g).filter((k) => !/^[A-Z]/.test(k)).sort(),
          };
        };
      `);
      const output = (await version.invoke(null)).output as Record<string, unknown>;
      expect(output).toMatchObject({
        process: 'undefined',
        require: 'undefined',
        buffer: 'undefined',
        module: 'undefined',
        setTimeout: 'undefined',
        fetch: 'undefined',
        // the sandbox's own Function constructor, whose global has no process
        escaped: 'threw ReferenceError',
        sameGlobal: true,
      });
      expect(output.imported).toMatch(/^refused/);
      expect(output.globals).not.toContain('process');
      // the harness took the exports and cleared the global
      expect(output.exports).toBe('undefined');
    });

    it('offers no memory the memory limit does not count (WebAssembly, shared or resizable buffers)', async () => {
      const version = await load(`
        export default () => {
          const g = globalThis as any;
          const refused = (make: () => unknown) => { try { make(); return false; } catch { return true; } };
          const Intrinsic: any = new Uint8Array(8).buffer.constructor;
          class Sub extends ArrayBuffer {}
          return {
            wasm: typeof g.WebAssembly,
            shared: typeof g.SharedArrayBuffer,
            resizable: refused(() => new ArrayBuffer(8, { maxByteLength: 1e9 })),
            viaConstructor: refused(() => new Intrinsic(8, { maxByteLength: 1e9 })),
            viaSpecies: refused(() => new (ArrayBuffer as any)[Symbol.species](8, { maxByteLength: 1e9 })),
            plain: new ArrayBuffer(16).byteLength,
            isArrayBuffer: new Uint8Array(4).buffer instanceof ArrayBuffer,
            subclass: new Sub(4) instanceof Sub && new Sub(4).byteLength === 4,
          };
        };
      `);
      expect((await version.invoke(null)).output).toEqual({
        wasm: 'undefined',
        shared: 'undefined',
        resizable: true,
        viaConstructor: true,
        viaSpecies: true,
        plain: 16,
        isArrayBuffer: true,
        subclass: true,
      });
    });

    it('keeps its report to the host intact when the module tampers with built-ins', async () => {
      const version = await load(`
        export default (_: unknown, ctx: any) => {
          Object.defineProperty(Object.prototype, 'logs', { set() {}, get() { return 'forged' }, configurable: true });
          Object.defineProperty(Object.prototype, 'kind', { set() {}, get() { return 'ok' }, configurable: true });
          JSON.stringify = () => '"forged"';
          ctx.log('real');
          return { real: true };
        };
      `);
      const result = await version.invoke(null);
      expect(result.output).toEqual({ real: true });
      expect(result.logs).toEqual(['real']);
    });

    it('never blocks the host: its event loop ticks and another version answers during a busy call', async () => {
      const spinner = await load(`export default () => { ${busy(10_000)} };`, { cpuTimeoutMs: 600 });
      const other = await load(`export default (x: number) => x + 1;`);
      const order: string[] = [];
      const interval = setInterval(() => order.push('tick'), 10);
      try {
        const spinning = failure(spinner.invoke(null)).then((error) => {
          order.push('spinner stopped');
          return error;
        });
        // once the pending microtasks ran, the spinner's call has been handed to its isolate
        await new Promise((resolve) => setImmediate(resolve));
        const answer = await other.invoke(1);
        order.push('other answered');
        expect(answer.output).toBe(2);
        expect((await spinning).code).toBe('timeout');
        const stopped = order.indexOf('spinner stopped');
        expect(order.indexOf('other answered')).toBeLessThan(stopped);
        // the host's timers kept firing while the spinner ran
        expect(order.slice(0, stopped).filter((e) => e === 'tick').length).toBeGreaterThan(1);
      } finally {
        clearInterval(interval);
      }
    });
  });

  describe('concurrency', () => {
    it('queues calls beyond the concurrency limit and refuses those beyond the queue', async () => {
      const version = await load(`export default (n: number) => { ${busy(150)} return n; };`, {
        concurrency: 1,
        queueLimit: 1,
        cpuTimeoutMs: 1000,
        wallTimeoutMs: 3000,
      });
      const first = version.invoke(1);
      const second = version.invoke(2);
      const third = failure(version.invoke(3));
      expect(version.inFlight).toBe(3);
      const refused = await third;
      expect(refused.code).toBe('overloaded');
      expect(refused.moduleFault).toBe(false);
      expect(version.inFlight).toBe(2);
      expect(version.queued).toBe(1);
      expect((await first).output).toBe(1);
      expect((await second).output).toBe(2);
      await version.drained();
      expect(version.inFlight).toBe(0);
    });

    it('fails running and queued calls with disposed when the version is disposed', async () => {
      const version = await load(`export default () => { ${busy(2000)} return 1; };`, {
        concurrency: 1,
        queueLimit: 2,
        cpuTimeoutMs: 3000,
        wallTimeoutMs: 5000,
      });
      const running = failure(version.invoke(null));
      const queued = failure(version.invoke(null));
      expect(version.queued).toBe(1);
      // once the pending microtasks ran, the first call has been handed to its isolate
      await new Promise((resolve) => setImmediate(resolve));
      version.dispose();
      // the busy call would have answered 1 after 2 s: it was cut, not waited for
      expect((await running).code).toBe('disposed');
      expect((await queued).code).toBe('disposed');
      await version.drained();
      expect((await failure(version.invoke(null))).code).toBe('disposed');
    });
  });

  describe('load', () => {
    it.each([
      ['a default export that is not a function', 'export default 42;', 'not_a_function'],
      ['no default export', 'export const x = 1;', 'not_a_function'],
      [
        'top-level code that throws',
        "const x = 1;\nthrow new Error('boom');\nexport default () => x;",
        'runtime_error',
      ],
      [
        'an import, since nothing can be required',
        "import fs from 'node:fs';\nexport default () => fs;",
        'runtime_error',
      ],
      ['top-level code that never ends', 'while (true) {}\nexport default () => 1;', 'timeout'],
      [
        'top-level code that exhausts memory',
        'const a: unknown[] = []; while (true) a.push([a.length]);',
        'memory_limit',
      ],
    ])('refuses %s with a typed error', async (_what, source, code) => {
      // a heap filling up slows down in the GC: time enough to reach the memory limit first
      const error = await load(source, code === 'memory_limit' ? { cpuTimeoutMs: 5000 } : {}).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ModuleLoadError);
      expect((error as ModuleLoadError).code).toBe(code);
    });

    it('names the source line of a syntax error in code not compiled by compileModule', async () => {
      const error = (await LoadedVersion.load({
        module: 'm',
        versionId: 'raw',
        code: 'var x = 1;\nlet = ;',
        limits: LIMITS,
      }).catch((e: unknown) => e)) as ModuleLoadError;
      expect(error).toMatchObject({ code: 'syntax_error', line: 2 });
    });

    it('names the source line of a top-level error', async () => {
      const error = (await load("type T = string;\nconst x: T = 'a';\nthrow new Error('boom ' + x);\n").catch(
        (e: unknown) => e,
      )) as ModuleLoadError;
      expect(error.message).toMatch(/boom a/);
      expect(error.line).toBe(3);
    });

    it('takes pre-created isolates from a pool with the same memory limit', async () => {
      const pool = new IsolatePool({ size: 2, memoryMb: LIMITS.memoryMb });
      try {
        await pool.filled();
        expect(pool.available).toBe(2);
        const version = await load(`export default () => 'pooled';`, {}, pool);
        expect(pool.stats).toEqual({ taken: 1, missed: 0 });
        expect((await version.invoke(null)).output).toBe('pooled');
        // another memory limit cannot use the pooled isolates
        await load(`export default () => 'not pooled';`, { memoryMb: 32 }, pool);
        expect(pool.stats).toEqual({ taken: 1, missed: 0 });
        await pool.filled();
        expect(pool.available).toBe(2);
      } finally {
        pool.close();
      }
    });
  });
});
