import type { SandboxLimits } from '@seed/config';
import { compileModule } from './compile.js';
import { InvokeError } from './failures.js';
import { LoadedVersion } from './loaded-version.js';
import { ModuleRegistry } from './module-registry.js';

const LIMITS: SandboxLimits = {
  memoryMb: 16,
  cpuTimeoutMs: 3000,
  wallTimeoutMs: 5000,
  concurrency: 4,
  queueLimit: 4,
  maxOutputBytes: 10_000,
  maxLogBytes: 1000,
  maxLogLines: 100,
};

/** A version answering its own id; each call first keeps the CPU busy for `busyMs` (the sandbox has no timers). */
async function version(versionId: string, busyMs = 0, module = 'greeter'): Promise<LoadedVersion> {
  const compiled = await compileModule(`
    export default () => {
      const end = Date.now() + ${busyMs};
      while (Date.now() < end) {}
      return '${versionId}';
    };
  `);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return LoadedVersion.load({ module, versionId, code: compiled.code, limits: LIMITS });
}

async function failure(call: Promise<unknown>): Promise<InvokeError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof InvokeError) return error;
  throw new Error(`expected an InvokeError, got ${String(error)}`);
}

/** The call is in flight, not merely scheduled: invoke counts it before its first await. */
function expectInFlight(version: LoadedVersion, calls = 1): void {
  expect(version.inFlight).toBe(calls);
}
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('ModuleRegistry', () => {
  let registry: ModuleRegistry;

  beforeEach(() => {
    registry = new ModuleRegistry();
  });

  afterEach(() => {
    registry.disposeAll();
  });

  it('serves the activated version and says which one it is', async () => {
    expect((await failure(registry.invoke('greeter', null))).code).toBe('not_loaded');
    registry.activate('greeter', await version('v1'));
    expect(registry.current('greeter')).toEqual({ versionId: 'v1' });
    expect(registry.current('other')).toBeUndefined();
    expect(registry.loadedModules()).toEqual(['greeter']);
    expect((await registry.invoke('greeter', null)).output).toBe('v1');
    expect(registry.stats()).toEqual({ modules: 1, loadedVersions: 1, draining: 0, inFlight: 0 });
  });

  it('refuses a version of another module', async () => {
    const other = await version('v1', 0, 'other');
    expect(() => registry.activate('greeter', other)).toThrow(/belongs to module other/);
    other.dispose();
  });

  it('lets in-flight calls of the old version finish after a swap, then disposes it', async () => {
    const v1 = await version('v1', 200);
    registry.activate('greeter', v1);
    const inFlight = registry.invoke('greeter', null);
    expectInFlight(v1);

    registry.activate('greeter', await version('v2'));
    expect(registry.current('greeter')).toEqual({ versionId: 'v2' });
    expect((await registry.invoke('greeter', null)).output).toBe('v2');
    expect(registry.stats()).toMatchObject({ loadedVersions: 2, draining: 1, inFlight: 1 });

    expect((await inFlight).output).toBe('v1');
    await settled();
    expect(v1.isDisposed).toBe(true);
    expect(registry.stats()).toMatchObject({ loadedVersions: 1, draining: 0 });
  });

  it('force-disposes a still-draining old version on a third activation', async () => {
    const v1 = await version('v1', 2000);
    registry.activate('greeter', v1);
    const inFlight = failure(registry.invoke('greeter', null));
    expectInFlight(v1);

    const v2 = await version('v2');
    registry.activate('greeter', v2);
    registry.activate('greeter', await version('v3'));

    const purged = await inFlight;
    expect(purged.code).toBe('disposed');
    expect(v1.isDisposed).toBe(true);
    expect((await registry.invoke('greeter', null)).output).toBe('v3');
    await settled();
    // v2 had nothing in flight: it is gone as soon as it became old
    expect(v2.isDisposed).toBe(true);
    expect(registry.stats()).toMatchObject({ loadedVersions: 1 });
  });

  it('keeps a draining old version that is activated again (rollback)', async () => {
    const v1 = await version('v1', 200);
    registry.activate('greeter', v1);
    const inFlight = registry.invoke('greeter', null);
    expectInFlight(v1);
    const v2 = await version('v2');
    registry.activate('greeter', v2);
    registry.activate('greeter', v1);

    expect((await inFlight).output).toBe('v1');
    await settled();
    expect(v1.isDisposed).toBe(false);
    expect(v2.isDisposed).toBe(true);
    expect((await registry.invoke('greeter', null)).output).toBe('v1');
  });

  it('unloads a module after its in-flight calls, or at once when forced', async () => {
    const v1 = await version('v1', 200);
    registry.activate('greeter', v1);
    const inFlight = registry.invoke('greeter', null);
    expectInFlight(v1);
    const unloaded = registry.unload('greeter');
    expect((await failure(registry.invoke('greeter', null))).code).toBe('not_loaded');
    expect((await inFlight).output).toBe('v1');
    await unloaded;
    expect(v1.isDisposed).toBe(true);

    const v2 = await version('v2', 2000);
    registry.activate('greeter', v2);
    const cut = failure(registry.invoke('greeter', null));
    expectInFlight(v2);
    await registry.unload('greeter', { force: true });
    expect((await cut).code).toBe('disposed');
    expect(registry.loadedModules()).toEqual([]);
  });

  it('disposes every version on shutdown', async () => {
    const a = await version('a1', 0, 'a');
    const b = await version('b1', 0, 'b');
    registry.activate('a', a);
    registry.activate('b', b);
    registry.onApplicationShutdown();
    expect(a.isDisposed && b.isDisposed).toBe(true);
    expect(registry.stats().loadedVersions).toBe(0);
  });

  describe('canary and pinned versions', () => {
    it('lists every loaded version with its role, and a replaced canary as draining until its calls finish', async () => {
      registry.activate('greeter', await version('v1'));
      const slow = await version('c1', 200);
      registry.setCanary('greeter', slow);
      expect(registry.canaryVersion('greeter')?.versionId).toBe('c1');
      const call = slow.invoke(null);
      expectInFlight(slow);
      let drained = 0;
      registry.onDrained(() => drained++);
      registry.setCanary('greeter', await version('c2'));
      expect(registry.loadedVersions('greeter')).toEqual([
        { versionId: 'v1', role: 'stable', inFlight: 0, draining: false },
        { versionId: 'c2', role: 'canary', inFlight: 0, draining: false },
        { versionId: 'c1', role: 'old', inFlight: 1, draining: true },
      ]);
      expect((await call).output).toBe('c1');
      await settled();
      expect(drained).toBe(1);
      expect(slow.isDisposed).toBe(true);
      expect(registry.loadedVersions('greeter').map((v) => v.versionId)).toEqual(['v1', 'c2']);
    });

    it('keeps at most `cap` pinned versions, dropping the least recently used', async () => {
      registry.activate('greeter', await version('v1'));
      const [p1, p2, p3] = await Promise.all([version('p1'), version('p2'), version('p3')]);
      registry.addPinned(p1, 2);
      registry.addPinned(p2, 2);
      expect(registry.pinnedVersion('p1')).toBe(p1); // p1 is now the most recently used
      registry.addPinned(p3, 2);
      await settled();
      expect(registry.pinnedVersion('p2')).toBeUndefined();
      expect(p2.isDisposed).toBe(true);
      expect(registry.loadedVersions('greeter').map((v) => [v.versionId, v.role])).toEqual([
        ['v1', 'stable'],
        ['p1', 'pinned'],
        ['p3', 'pinned'],
      ]);
    });

    it('does not dispose a canary that became the current version', async () => {
      registry.activate('greeter', await version('v1'));
      const canary = await version('c1');
      registry.setCanary('greeter', canary);
      registry.activate('greeter', canary);
      registry.setCanary('greeter', undefined);
      await settled();
      expect(canary.isDisposed).toBe(false);
      expect((await registry.invoke('greeter', null)).output).toBe('c1');
    });
  });
});
