import { ClusterModule } from '@seed/cluster';
import { CodeStoreRepository, sha256 } from '@seed/code-store';
import { CanaryWatch, HotReloadModule, PipelineService, Reconciler } from '@seed/hot-reload';
import { ModuleRegistry } from '@seed/runtime';
import { adminVersion, startMedium, type MediumContext } from '../support/medium';

const V = (n: number) => `export default (x: number) => x + ${n};`;
const NO_RUN = { finalAttempt: false, progress: async () => undefined };

/**
 * The reconciler and the canary watch of two "nodes" (two sets of services on one PostgreSQL), driven
 * directly: what PostgreSQL says is active is what each node serves, and a canary verdict reached on both
 * nodes rolls back once.
 */
describe('reconciler and canary watch', () => {
  let a: MediumContext;
  let b: MediumContext;
  let store: CodeStoreRepository;

  beforeAll(async () => {
    const env = { CANARY_MIN_CALLS: '5', CANARY_THRESHOLD: '0.2', CANARY_WINDOW: '600000' };
    a = await startMedium([ClusterModule, HotReloadModule], { env });
    b = await startMedium([ClusterModule, HotReloadModule], { env, database: a.database });
    store = a.get(CodeStoreRepository);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /** A module with versions 1 (active, evaluated on node a) and 2 (evaluated, not asked to activate). */
  async function twoVersions(name: string) {
    const { module, version: first } = await store.createModule(
      name,
      {},
      [],
      adminVersion(V(1)),
      'admin:test',
      200,
    );
    await a.get(PipelineService).evaluate(first.id, NO_RUN);
    const second = await store.addVersion(
      module.id,
      adminVersion(V(2), { parentId: first.id, activateRequested: false }),
    );
    expect((await a.get(PipelineService).evaluate(second.id, NO_RUN)).status).toBe('ready');
    return { module, first, second };
  }

  it('a node follows what PostgreSQL says is active, whoever switched it', async () => {
    const { module, first, second } = await twoVersions('follow');
    await b.get(Reconciler).syncModule('follow');
    expect(b.get(ModuleRegistry).current('follow')?.versionId).toBe(first.id);
    // Switched behind the node's back (no broadcast): the next sync loads it.
    await store.activate(module.id, second.id, { reason: 'manual', actor: 'admin:test', maxCases: 200 });
    await b.get(Reconciler).syncModule('follow');
    expect(b.get(ModuleRegistry).current('follow')?.versionId).toBe(second.id);
  });

  it('keeps serving the current version when the active one cannot be loaded', async () => {
    const { module, first, second } = await twoVersions('unloadable');
    await b.get(Reconciler).syncModule('unloadable');
    // Corrupt compiled code with a matching hash: the artifact is "valid" but does not load.
    const broken = 'export default (((';
    await store.updateVersion(second.id, { compiled: broken, sha256: sha256(broken) });
    await store.activate(module.id, second.id, { reason: 'manual', actor: 'admin:test', maxCases: 200 });
    await b.get(Reconciler).syncModule('unloadable');
    expect(b.get(ModuleRegistry).current('unloadable')?.versionId).toBe(first.id);
  });

  it('unloads a module that was deleted', async () => {
    await twoVersions('deleted');
    await b.get(Reconciler).syncModule('deleted');
    expect(b.get(ModuleRegistry).current('deleted')).toBeDefined();
    await store.deleteModule('deleted');
    await b.get(Reconciler).syncModule('deleted');
    expect(b.get(ModuleRegistry).current('deleted')).toBeUndefined();
  });

  it('a failing version is rolled back once, though both nodes reach the verdict', async () => {
    const { module, first, second } = await twoVersions('canary');
    await store.activate(module.id, second.id, { reason: 'manual', actor: 'admin:test', maxCases: 200 });
    const now = Date.now();
    for (const node of [a, b]) node.get(CanaryWatch).started('canary', first.id, second.id, {}, now);
    for (let i = 0; i < 5; i++) {
      for (const node of [a, b])
        node
          .get(CanaryWatch)
          .record('canary', second.id, true, `caller-${node === a ? 'a' : 'b'}-${i % 2}`, now + i);
    }
    // The rollback runs beside the call that decided it: poll the real condition, bounded.
    const rolledBack = async () =>
      (await store.findVersion(second.id))?.diagnostics?.some((d) => /rolled back by canary/.test(d.message));
    for (let i = 0; i < 200 && !(await rolledBack()); i++) await new Promise((r) => setTimeout(r, 5));
    expect(await rolledBack()).toBe(true);
    expect((await store.getModule('canary')).activeVersionId).toBe(first.id);
    // The other node's verdict is a compare-and-swap on the version it watched: it cannot switch again.
    const history = await store.listActivations(module.id, { limit: 10, offset: 0 });
    expect(history.items.filter((x) => x.reason === 'canary')).toHaveLength(1);
  });

  it('a healthy version is not rolled back', async () => {
    const { module, first, second } = await twoVersions('healthy');
    await store.activate(module.id, second.id, { reason: 'manual', actor: 'admin:test', maxCases: 200 });
    const watch = a.get(CanaryWatch);
    watch.started('healthy', first.id, second.id, {}, Date.now());
    for (let i = 0; i < 20; i++) watch.record('healthy', second.id, i === 0, `caller-${i % 3}`);
    await a.get(Reconciler).syncModule('healthy');
    expect((await store.getModule('healthy')).activeVersionId).toBe(second.id);
  });
});
