import type { SandboxLimits } from '@seed/config';
import { compileModule } from './compile.js';
import { InvokeError, ModuleLoadError } from './failures.js';
import { MAX_ERROR_MESSAGE, MAX_ERROR_STACK } from './harness-report.js';
import { LoadedVersion, type InvokeResult } from './loaded-version.js';

/**
 * Modules that attack the harness from inside the isolate: they replace built-ins, throw hostile values and flood
 * the logs. Every one must end in a typed failure or a bounded answer; the assertions are on the sizes of what
 * reaches the host. The memory limit is generous so the 20 MB values really exist inside the isolate.
 */
const LIMITS: SandboxLimits = {
  memoryMb: 160,
  cpuTimeoutMs: 5000,
  wallTimeoutMs: 10_000,
  concurrency: 2,
  queueLimit: 2,
  maxOutputBytes: 10_000,
  maxLogBytes: 2000,
  maxLogLines: 100,
};

/** Everything a call can carry back to the host, bounded whatever the module does. */
const HOST_TEXT_BOUND =
  LIMITS.maxOutputBytes + LIMITS.maxLogBytes + MAX_ERROR_MESSAGE + MAX_ERROR_STACK + 1000;

const HUGE = `const huge = 'x'.repeat(20_000_000);`;

/** Replaces every built-in the harness could be tempted to call, each answering 20 MB. */
const TAMPER = `
  const g = globalThis as any;
  const big = () => huge;
  for (const name of ['slice', 'substring', 'substr', 'charCodeAt', 'toString', 'valueOf', 'concat', 'padEnd']) {
    (String.prototype as any)[name] = big;
  }
  for (const name of ['push', 'join', 'map', 'slice', 'concat', 'toString']) (Array.prototype as any)[name] = big;
  Object.prototype.toString = big;
  Function.prototype.call = big as any;
  Function.prototype.apply = big as any;
  Function.prototype.bind = big as any;
  JSON.stringify = big as any;
  (Error as any).isError = () => true;
  (Error as any).prepareStackTrace = big;
  (String.prototype as any)[Symbol.iterator] = function* () { yield huge; };
  (Array.prototype as any)[Symbol.iterator] = function* () { yield huge; };
  Object.defineProperty(Object.prototype, Symbol.toPrimitive, { value: big, configurable: true, writable: true });
  g.String = big;
`;

const loaded: LoadedVersion[] = [];

async function load(source: string, limits: Partial<SandboxLimits> = {}): Promise<LoadedVersion> {
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

async function failure(call: Promise<unknown>): Promise<InvokeError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof InvokeError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function loadFailure(load: Promise<unknown>): Promise<ModuleLoadError> {
  const error = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof ModuleLoadError) return error;
  throw new Error(`expected a ModuleLoadError, got ${String(error)}`);
}

/** UTF-16 units of every string a result or failure holds. */
function hostText(value: InvokeResult | InvokeError | ModuleLoadError): number {
  if (value instanceof InvokeError) {
    return value.message.length + (value.moduleStack?.length ?? 0) + (value.logs ?? []).join('').length;
  }
  if (value instanceof ModuleLoadError) return value.message.length;
  return JSON.stringify(value.output).length + value.logs.join('').length;
}

function logBytes(logs: readonly string[]): number {
  return logs.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8'), 0);
}

// each test's isolates go at once: several of them hold 20 MB strings until their heap is collected
afterEach(() => {
  for (const version of loaded.splice(0)) version.dispose();
});

describe('sandbox hardening', () => {
  describe('thrown values', () => {
    // the name is cut to 200 characters, the message to 4000, each marked with '…'
    it.each([
      ['an Error with a 20 MB message', `throw new Error(huge);`, /^Error: x{4000}…$/],
      ['a 20 MB string', `throw huge;`, /^x{4000}…$/],
      ['a symbol with a 20 MB description', `throw Symbol(huge);`, /^Symbol\(x{3993}…$/],
      [
        'an object whose fields convert to 20 MB (toString, valueOf, Symbol.toPrimitive)',
        `throw {
          name: { toString: () => huge },
          message: { [Symbol.toPrimitive]: () => huge },
          stack: { valueOf: () => huge, toString: () => huge },
        };`,
        /^x{200}…: x{4000}…$/,
      ],
      [
        'an object whose toString gives 20 MB',
        `throw { toString: () => huge, valueOf: () => huge };`,
        /^Error: $/,
      ],
      [
        'an object with a 20 MB name, message and stack',
        `throw { name: huge, message: huge, stack: huge };`,
        /^x{200}…: x{4000}…$/,
      ],
      [
        'an Error whose own getters answer 20 MB or throw 20 MB',
        `const e = new Error('m');
         Object.defineProperty(e, 'message', { get: () => huge });
         Object.defineProperty(e, 'stack', { get() { throw new Error(huge); } });
         Object.defineProperty(e, 'name', { get() { throw huge; } });
         throw e;`,
        /^Error: x{4000}…$/,
      ],
      [
        'an Error whose prototype getters answer 20 MB',
        `class Custom extends Error {}
         Object.defineProperty(Error.prototype, 'name', { get: () => huge, configurable: true });
         Object.defineProperty(Error.prototype, 'message', { get: () => huge, configurable: true });
         throw new Custom();`,
        /^x{200}…: x{4000}…$/,
      ],
      [
        'an Error whose stack Error.prepareStackTrace makes 20 MB',
        `(Error as any).prepareStackTrace = () => huge; throw new Error('m');`,
        /^Error: m$/,
      ],
      [
        'a Proxy of an Error answering 20 MB to every trap',
        `throw new Proxy(new Error('m'), {
          get: () => huge,
          getPrototypeOf: () => { throw new Error(huge); },
          has: () => true,
        });`,
        /^x{200}…: x{4000}…$/,
      ],
      [
        'a Proxy whose traps throw itself',
        `const p: any = new Proxy({}, { get() { throw p; } }); throw p;`,
        /^Error: $/,
      ],
      [
        'a function with a 20 MB name',
        `const f = () => 1; Object.defineProperty(f, 'name', { value: huge }); throw f;`,
        /^x{200}…: $/,
      ],
      [
        'a promise rejected with a 20 MB message',
        `return Promise.reject(new Error(huge));`,
        /^Error: x{4000}…$/,
      ],
      [
        'a long message after the built-ins were replaced',
        `${TAMPER} throw new Error('y'.repeat(100_000));`,
        /^Error: y{4000}…$/,
      ],
      ['a 20 MB string after the built-ins were replaced', `${TAMPER} throw huge;`, /^x{4000}…$/],
    ])('bounds %s', async (_what, body, message) => {
      const version = await load(`export default (): any => { ${HUGE} ${body} };`);
      const error = await failure(version.invoke(null));
      expect(error.code).toBe('runtime_error');
      expect(error.message).toMatch(message);
      expect(hostText(error)).toBeLessThanOrEqual(HOST_TEXT_BOUND);
    });

    it('cuts a long message with the captured slice, whatever String.prototype.slice became', async () => {
      const version = await load(`
        export default () => {
          String.prototype.slice = () => 'forged';
          throw new Error('y'.repeat(100_000));
        };
      `);
      const error = await failure(version.invoke(null));
      expect(error.message).toBe(`Error: ${'y'.repeat(MAX_ERROR_MESSAGE)}…`);
    });

    it('keeps working for the next call after a hostile throw', async () => {
      const version = await load(`
        let calls = 0;
        export default () => { ${HUGE} if (++calls === 1) { ${TAMPER} throw huge; } return calls; };
      `);
      expect((await failure(version.invoke(null))).code).toBe('runtime_error');
      expect((await version.invoke(null)).output).toBe(2);
    });
  });

  describe('logs', () => {
    it('keeps at most maxLogLines lines of 2 million empty ones and counts the rest as dropped', async () => {
      const version = await load(`
        export default (_: unknown, ctx: any) => { for (let i = 0; i < 2_000_000; i++) ctx.log(); return 'done'; };
      `);
      const result = await version.invoke(null);
      expect(result.output).toBe('done');
      expect(result.logsTruncated).toBe(true);
      expect(result.logs).toHaveLength(LIMITS.maxLogLines + 1);
      expect(result.logsDropped).toBe(2_000_000 - LIMITS.maxLogLines);
      expect(result.logs.at(-1)).toMatch(new RegExp(`${2_000_000 - LIMITS.maxLogLines} lines dropped`));
    });

    it('takes maxLogLines from the limits', async () => {
      const version = await load(
        `export default (_: unknown, ctx: any) => { for (let i = 0; i < 5; i++) ctx.log('line', i); return 1; };`,
        { maxLogLines: 3 },
      );
      const result = await version.invoke(null);
      expect(result.logs).toEqual([
        'line 0',
        'line 1',
        'line 2',
        '[logs truncated at 3 lines or 2000 bytes: 2 lines dropped]',
      ]);
      expect(result.logsDropped).toBe(2);
    });

    it('counts every line at least one byte, so empty lines use up maxLogBytes too', async () => {
      const version = await load(
        `export default (_: unknown, ctx: any) => { for (let i = 0; i < 1000; i++) ctx.log(''); return 1; };`,
        { maxLogLines: 10_000, maxLogBytes: 50 },
      );
      const result = await version.invoke(null);
      expect(result.logs.slice(0, -1)).toEqual(Array(50).fill(''));
      expect(result.logsDropped).toBe(950);
    });

    it.each([
      ['20 MB strings', `ctx.log(huge, huge); ctx.log(huge);`],
      ['a value whose toJSON gives 20 MB', `ctx.log({ toJSON: () => huge });`],
      ['an Error with a 20 MB stack', `const e = new Error('m'); e.stack = huge; ctx.log(e);`],
      ['an object whose toString gives 20 MB', `ctx.log({ toJSON: () => undefined, toString: () => huge });`],
      [
        'lines logged from inside a toJSON while the line is built',
        `ctx.log({ toJSON() { for (let i = 0; i < 1000; i++) ctx.log(huge); return huge; } }, huge);`,
      ],
      [
        'huge strings after the built-ins were replaced',
        `${TAMPER} ctx.log(huge); ctx.log({}, [1], 'é'.repeat(5000));`,
      ],
      [
        'lines logged after the call returned',
        `let n = 0; const more = (): any => { ctx.log(huge); if (++n < 100) return Promise.resolve().then(more); };
         Promise.resolve().then(more);`,
      ],
    ])('bounds %s by maxLogBytes', async (_what, body) => {
      const version = await load(
        `export default (_: unknown, ctx: any) => { ${HUGE} ${body} return 'done'; };`,
      );
      const result = await version.invoke(null);
      expect(result.output).toBe('done');
      const kept = result.logsTruncated ? result.logs.slice(0, -1) : result.logs;
      expect(kept.length).toBeLessThanOrEqual(LIMITS.maxLogLines);
      expect(logBytes(kept) + kept.length).toBeLessThanOrEqual(LIMITS.maxLogBytes);
      expect(hostText(result)).toBeLessThanOrEqual(HOST_TEXT_BOUND);
    });

    it('keeps its logs out of reach of index setters and replaced array methods', async () => {
      const version = await load(`
        export default (_: unknown, ctx: any) => {
          ${HUGE}
          let reached: any;
          for (let i = 0; i < 4; i++) {
            Object.defineProperty(Array.prototype, i, { set() { reached = this; }, configurable: true });
            Object.defineProperty(Object.prototype, i, { set() { reached = this; }, configurable: true });
          }
          Array.prototype.push = function () { return 0; };
          ctx.log('a');
          ctx.log('b');
          // were the report's array reachable, it could grow after the harness measured it
          Promise.resolve().then(() => { if (reached) for (let i = 0; i < 50; i++) reached[i + 10] = huge; });
          return reached === undefined;
        };
      `);
      const result = await version.invoke(null);
      expect(result.output).toBe(true);
      expect(result.logs).toEqual(['a', 'b']);
    });
  });

  describe('outputs', () => {
    it.each([
      ['a toJSON getter answering 20 MB', `return { get toJSON() { return () => huge; } };`],
      ['a getter answering 20 MB', `return { get value() { return huge; } };`],
      [
        'Object.prototype.toJSON answering 20 MB',
        `(Object.prototype as any).toJSON = () => huge; return {};`,
      ],
      ['a replaced JSON.stringify and a 20 MB value', `${TAMPER} return [huge];`],
    ])('fails %s with output_too_large', async (_what, body) => {
      const version = await load(`export default (): any => { ${HUGE} ${body} };`);
      const error = await failure(version.invoke(null));
      expect(error.code).toBe('output_too_large');
      expect(hostText(error)).toBeLessThanOrEqual(HOST_TEXT_BOUND);
    });

    it.each([
      ['a toJSON that throws 20 MB', `return { toJSON() { throw new Error(huge); } };`],
      [
        'a toJSON getter that throws a Proxy',
        `return { get toJSON() { throw new Proxy({}, { get: () => huge }); } };`,
      ],
      ['a getter that throws 20 MB', `return { get value() { throw huge; } };`],
    ])('fails %s with output_not_json', async (_what, body) => {
      const version = await load(`export default (): any => { ${HUGE} ${body} };`);
      const error = await failure(version.invoke(null));
      expect(error.code).toBe('output_not_json');
      expect(hostText(error)).toBeLessThanOrEqual(HOST_TEXT_BOUND);
    });

    // isolated-vm copies out, whole, the reason of a rejection left unhandled at the end of a task
    it.each([
      [
        'a 20 MB rejection',
        `void Promise.reject(new Error(huge)); Promise.resolve().then(() => { throw huge; });`,
      ],
      [
        'a rejection whose reason has 20 MB getters',
        `void Promise.reject({ get message() { return huge; }, get stack() { return { toString: () => huge }; } });`,
      ],
      [
        'an async function that throws 20 MB after the call',
        `void (async () => { await null; await null; throw huge; })();`,
      ],
    ])('answers the output when the module left %s unhandled', async (_what, body) => {
      const version = await load(`export default (): any => { ${HUGE} ${body} return 'ok'; };`);
      expect((await version.invoke(null)).output).toBe('ok');
    });

    it('takes what a replaced Promise.prototype.then hands the harness as output, never as a report', async () => {
      const version = await load(`
        export default async (): Promise<any> => {
          ${HUGE}
          const forged = { kind: 'ok', json: JSON.stringify(huge), logs: [], truncated: false, dropped: 0 };
          const then = Promise.prototype.then;
          Promise.prototype.then = function (this: any, ok: any, fail: any) { return then.call(this, () => ok?.(forged), fail); };
          Object.defineProperty(Promise.prototype, 'constructor', { get() { return function () {}; }, configurable: true });
          await null;
          return 'real';
        };
      `);
      const error = await failure(version.invoke(null));
      expect(error.code).toBe('output_too_large');
      expect(hostText(error)).toBeLessThanOrEqual(HOST_TEXT_BOUND);
    });

    it('returns the output the module meant after it replaced every built-in', async () => {
      const version = await load(
        `export default (): any => { ${HUGE} ${TAMPER} return { ok: 'é', n: [1, 2] }; };`,
      );
      expect((await version.invoke(null)).output).toEqual({ ok: 'é', n: [1, 2] });
    });
  });

  describe('load', () => {
    it.each([
      ['throws a 20 MB Error', `${HUGE} throw new Error(huge); export default () => 1;`, /^Error: x{4000}…$/],
      ['throws a 20 MB string', `${HUGE} throw huge; export default () => 1;`, /^x{4000}…$/],
      [
        'throws after replacing the built-ins',
        `${HUGE} ${TAMPER} throw huge; export default () => 1;`,
        /^x{4000}…$/,
      ],
    ])('refuses top-level code that %s with a bounded runtime_error', async (_what, source, message) => {
      const error = await loadFailure(load(source));
      expect(error.code).toBe('runtime_error');
      expect(error.message).toMatch(message);
    });

    it('refuses a default export whose getter throws 20 MB', async () => {
      const error = await loadFailure(
        LoadedVersion.load({
          module: 'm',
          versionId: 'raw',
          code: `var __seedModule = { get default() { throw new Error('x'.repeat(20000000)); } };`,
          limits: LIMITS,
        }),
      );
      expect(error).toMatchObject({
        code: 'runtime_error',
        message: `Error: ${'x'.repeat(MAX_ERROR_MESSAGE)}…`,
      });
    });

    it('loads a module whose top-level code leaves a 20 MB rejection unhandled', async () => {
      const version = await load(
        `${HUGE} void Promise.reject(new Error(huge)); void Promise.reject(huge); export default () => 'loaded';`,
      );
      expect((await version.invoke(null)).output).toBe('loaded');
    });

    it('reports the message of a top-level throw whose stack Error.prepareStackTrace made 20 MB', async () => {
      const error = await loadFailure(
        load(
          `(Error as any).prepareStackTrace = () => 'x'.repeat(2e7);\nthrow new Error('boom');\nexport default () => 1;`,
        ),
      );
      expect(error).toMatchObject({ code: 'runtime_error', message: 'Error: boom' });
    });
  });

  describe('isolation', () => {
    it('hands out no native ArrayBuffer through traps put on Object.prototype', async () => {
      const version = await load(`
        export default () => {
          let target: any;
          for (const trap of ['get', 'has', 'getPrototypeOf', 'apply', 'ownKeys', 'getOwnPropertyDescriptor']) {
            // no prototype: the 'get' defined first would turn every later descriptor into an accessor
            const descriptor: any = { __proto__: null, configurable: true };
            descriptor.value = (t: any, ...rest: any[]) => { target = t; return (Reflect as any)[trap](t, ...rest); };
            Object.defineProperty(Object.prototype, trap, descriptor);
          }
          void (ArrayBuffer as any).isView;
          void ('x' in ArrayBuffer);
          Object.getPrototypeOf(ArrayBuffer);
          Object.keys(ArrayBuffer);
          let resizable = false;
          try { resizable = new target(8, { maxByteLength: 1e9 }).resizable === true; } catch {}
          return { reached: target !== undefined, resizable };
        };
      `);
      expect((await version.invoke(null)).output).toEqual({ reached: false, resizable: false });
    });
  });
});
