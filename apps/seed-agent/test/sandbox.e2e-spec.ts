import { ModuleRegistry } from '@seed/runtime';
import { eventually, settledVersion, startTestApp, TestApp } from './harness';

/** Hostile modules over HTTP: each fails with its typed error, and nothing else is disturbed. */
describe('sandbox isolation through the control API', () => {
  let t: TestApp;
  const limits = { cpuTimeoutMs: 1000, wallTimeoutMs: 1500, memoryMb: 32, maxOutputBytes: 100_000 };

  const hostile: Record<string, string> = {
    loop: 'export default () => { while (true) {} };',
    recursion: 'const f = (n: number): number => f(n + 1) + 1;\nexport default () => f(0);',
    'memory-bomb':
      'export default () => { const a: number[][] = []; while (true) a.push(new Array(100000).fill(1)); };',
    'buffer-bomb':
      'export default () => { const b: ArrayBuffer[] = []; for (let i = 0; i < 1000; i++) b.push(new ArrayBuffer(64 * 1024 * 1024)); return b.length; };',
    'huge-output': "export default () => 'x'.repeat(5_000_000);",
    'never-resolves': 'export default () => new Promise(() => {});',
    'not-json': 'export default () => undefined;',
    globals:
      'export default () => [typeof process, typeof require, typeof fetch, typeof setTimeout, typeof globalThis.Buffer];',
    escape: "export default () => (() => {}).constructor('return typeof process')();",
    thrower:
      "export default (input: unknown) => {\n  if (input) {\n    throw new Error('boom');\n  }\n  return 1;\n};",
    healthy: 'export default (n: number) => n + 1;',
  };

  beforeAll(async () => {
    t = await startTestApp();
    await Promise.all(
      Object.entries(hostile).map(async ([name, source]) => {
        const res = await t.request('POST', '/modules', { name, source, tests: [], settings: { limits } });
        expect(res.status).toBe(201);
        const version = await settledVersion(t, name, res.body.versionId);
        expect(version.status).toBe('active');
      }),
    );
  }, 60_000);
  afterAll(() => t?.close());

  const invoke = (name: string, input: unknown = null) =>
    t.request('POST', `/modules/${name}/invoke`, { input });

  it.each([
    ['loop', 'timeout'],
    ['recursion', 'runtime_error'],
    ['memory-bomb', 'memory_limit'],
    ['buffer-bomb', 'memory_limit'],
    ['huge-output', 'output_too_large'],
    ['never-resolves', 'timeout'],
    ['not-json', 'output_not_json'],
  ])('%s fails with 422 %s, and the module answers again afterwards', async (name, code) => {
    const res = await invoke(name);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe(code);
    expect(typeof res.body.error.message).toBe('string');
    expect((await invoke(name)).body.error.code).toBe(code);
    expect((await invoke('healthy', 1)).body.output).toBe(2);
  });

  it('gives modules no Node API, no timers and no way back to the host', async () => {
    expect((await invoke('globals')).body.output).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ]);
    expect((await invoke('escape')).body.output).toBe('undefined');
  });

  it('reports a runtime error with its message and source line', async () => {
    const res = await invoke('thrower', true);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'runtime_error' });
    expect(res.body.error.message).toMatch(/boom/);
    expect(res.body.error.details).toMatchObject({ line: 3 });
  });

  it('keeps health checks and other modules answering while a module burns its whole CPU timeout', async () => {
    const order: string[] = [];
    const busy = invoke('loop').then((res) => {
      order.push('loop');
      return res;
    });
    // the loop's call has reached the registry (this node's only call in flight)
    await eventually(
      () => (t.app.get(ModuleRegistry).stats().inFlight === 1 ? true : undefined),
      5000,
      'the loop call to be in flight',
      5,
    );
    const health = await t.request('GET', '/health', undefined, { role: null });
    order.push('health');
    const other = await invoke('healthy', 41);
    order.push('other');
    expect(health.status).toBe(200);
    expect(other.body.output).toBe(42);
    expect((await busy).body.error.code).toBe('timeout');
    expect(order).toEqual(['health', 'other', 'loop']);
  });

  it('rejects sources that import or require at the validate gate', async () => {
    for (const [name, source] of [
      ['imports', "import fs from 'fs';\nexport default () => 1;"],
      ['dyn-import', "export default async () => (await import('fs')).readFileSync;"],
      ['requires', "export default () => require('child_process');"],
    ]) {
      const res = await t.request('POST', '/modules', { name, source, tests: [] });
      const version = await settledVersion(t, name, res.body.versionId);
      expect(version.status).toBe('rejected');
      expect(version.diagnostics[0].stage).toMatch(/compile|validate/);
    }
  });
});
