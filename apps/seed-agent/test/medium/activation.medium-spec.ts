import { ClusterModule } from '@seed/cluster';
import { CodeStoreRepository, sha256 } from '@seed/code-store';
import {
  ActivationService,
  ActivationWatch,
  HotReloadModule,
  PipelineService,
  Reconciler,
} from '@seed/hot-reload';
import { RolloutRepository, TrafficReporter } from '@seed/rollout';
import { ModuleRegistry } from '@seed/runtime';
import { adminVersion, startMedium, type MediumContext } from '../support/medium';
import { uniquePrefix } from '../support/redis';

const V = (n: number) => `export default (x: number) => x + ${n};`;
const NO_RUN = { finalAttempt: false, progress: async () => undefined };
/** an analysis that never judges within a test */
const ANALYSIS_OFF = {
  minCalls: 1_000_000,
  maxErrorRateDelta: 1,
  maxLatencyRatio: 100,
  latencyFloorMs: 50,
  failureLimit: 100,
  minDistinctCallers: 1,
  observeOnly: true,
};

/**
 * The reconciler and the activation watch of two "nodes" (two sets of services on one PostgreSQL and one Redis),
 * driven directly: what PostgreSQL says is active is what each node serves, and the watch's verdict on the
 * cluster's counts rolls back once.
 */
describe('reconciler and activation watch', () => {
  let a: MediumContext;
  let b: MediumContext;
  let store: CodeStoreRepository;

  beforeAll(async () => {
    // one Redis prefix: the two nodes add to the same cluster-wide counts
    const env = {
      CANARY_MIN_CALLS: '5',
      CANARY_THRESHOLD: '0.2',
      CANARY_WINDOW: '600000',
      ROLLOUT_REPORT_INTERVAL: '100',
      REDIS_PREFIX: uniquePrefix('medium-watch'),
    };
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

  async function activateWatched(name: string) {
    const versions = await twoVersions(name);
    await a.get(ActivationService).activate(name, versions.second.id, 'admin:test');
    return versions;
  }

  async function watches(moduleId: string) {
    return (await a.get(RolloutRepository).history(moduleId, 10, 0, 'watch')).items;
  }

  function calls(
    node: MediumContext,
    name: string,
    versionId: string,
    n: number,
    failing: (i: number) => boolean,
  ) {
    const reporter = node.get(TrafficReporter);
    for (let i = 0; i < n; i++) reporter.record(name, versionId, failing(i), `caller-${i % 2}`, 1);
    return reporter.flush();
  }

  it('a failing version is rolled back once for the cluster, with the values that drove it', async () => {
    const { module, first, second } = await activateWatched('canary');
    const [watch] = await watches(module.id);
    expect(watch).toMatchObject({ status: 'watching', versionId: second.id, stableVersionId: first.id });
    await calls(a, 'canary', second.id, 3, () => true);
    await calls(b, 'canary', second.id, 3, () => true);
    // two analysers at once (say, one whose lease lapsed): the decision is a compare-and-swap
    await Promise.all([a.get(ActivationWatch).round(1, 'node:a'), b.get(ActivationWatch).round(1, 'node:b')]);
    expect((await store.getModule('canary')).activeVersionId).toBe(first.id);
    const history = await store.listActivations(module.id, { limit: 10, offset: 0 });
    expect(history.items.filter((x) => x.reason === 'canary')).toHaveLength(1);
    const [ended] = await watches(module.id);
    expect(ended.status).toBe('rolled_back');
    expect(ended.decisions).toHaveLength(1);
    expect(ended.decisions[0]).toMatchObject({
      verdict: 'rollback',
      reason: 'error_rate_delta',
      action: 'rollback',
      observed: { canaryCalls: 6, canaryErrorRate: 1, failingCallers: 2 },
      thresholds: { minCalls: 5, maxErrorRateDelta: 0.2, failureLimit: 1 },
    });
    const version = await store.findVersion(second.id);
    expect(version?.diagnostics?.at(-1)?.message).toMatch(
      /rolled back by canary: error rate 100% over 6 calls/,
    );
  });

  it('a healthy version is kept, and the watch records its verdict at the end', async () => {
    const { module, second } = await twoVersions('healthy');
    await store.updateSettings(module.name, { canary: { windowMs: 1000 } });
    await a.get(ActivationService).activate('healthy', second.id, 'admin:test');
    await calls(a, 'healthy', second.id, 20, (i) => i === 0);
    await a.get(ActivationWatch).round(1, 'node:a');
    expect((await watches(module.id))[0].status).toBe('watching');
    await new Promise((r) => setTimeout(r, 1300));
    await a.get(ActivationWatch).round(1, 'node:a');
    expect((await store.getModule('healthy')).activeVersionId).toBe(second.id);
    const [ended] = await watches(module.id);
    expect(ended).toMatchObject({ status: 'promoted' });
    expect(ended.decisions[0]).toMatchObject({ verdict: 'promote', reason: 'healthy', action: 'promote' });
  });

  it('a watch without traffic ends inconclusive and recorded, never silently', async () => {
    const { module, second } = await twoVersions('quiet');
    await store.updateSettings(module.name, { canary: { windowMs: 100 } });
    await a.get(ActivationService).activate('quiet', second.id, 'admin:test');
    await new Promise((r) => setTimeout(r, 250));
    await a.get(ActivationWatch).round(1, 'node:a');
    expect((await store.getModule('quiet')).activeVersionId).toBe(second.id);
    expect((await watches(module.id))[0].decisions[0]).toMatchObject({
      verdict: 'inconclusive',
      reason: 'too_few_calls',
      action: 'promote',
    });
  });

  it('a new activation ends the open watch and starts its own', async () => {
    const { module, first, second } = await activateWatched('again');
    await a.get(ActivationService).rollback('again', 'admin:test', first.id);
    const [latest, previous] = await watches(module.id);
    expect(latest).toMatchObject({ status: 'watching', versionId: first.id, stableVersionId: second.id });
    expect(previous.status).toBe('aborted');
    expect(previous.decisions[0]).toMatchObject({
      verdict: null,
      reason: 'activation:rollback',
      action: 'abort',
    });
  });

  it('any activation but a promotion ends the open rollout with it, its canary ready again', async () => {
    const { module, first, second } = await twoVersions('overtaken');
    const third = await store.addVersion(
      module.id,
      adminVersion(V(3), { parentId: first.id, activateRequested: false }),
    );
    await a.get(PipelineService).evaluate(third.id, NO_RUN);
    const rollouts = a.get(RolloutRepository);
    const start = () =>
      rollouts.start({
        moduleId: module.id,
        versionId: second.id,
        steps: [10, 50, 100],
        intervalMs: 60_000,
        analysis: { ...ANALYSIS_OFF },
        onInconclusive: 'pause',
        actor: 'admin:test',
      });
    const ended = async () => (await rollouts.history(module.id, 1, 0)).items[0];

    // an improvement round's compare-and-swap activation
    const rollout = await start();
    const result = await a.get(ActivationService).activateIfActive('overtaken', third, first.id);
    expect(result.abortedRollouts).toEqual([{ id: rollout.id, versionId: second.id, step: 0 }]);
    expect(await ended()).toMatchObject({ id: rollout.id, status: 'aborted', weight: 0 });
    expect((await ended()).decisions.at(-1)).toMatchObject({
      action: 'abort',
      reason: 'activation:gates',
      weight: 10,
    });
    expect((await store.getVersion(module.id, second.id)).status).toBe('ready');

    // an admin's activation of the version already active still stops the next rollout
    const again = await start();
    await a.get(ActivationService).activate('overtaken', third.id, 'admin:test');
    expect(await ended()).toMatchObject({ id: again.id, status: 'aborted' });
    expect((await store.getVersion(module.id, third.id)).status).toBe('active');
    expect((await store.getVersion(module.id, second.id)).status).toBe('ready');
  });

  it('applies a recorded rollback whose node died before applying it', async () => {
    const { module, first } = await activateWatched('orphan');
    const [watch] = await watches(module.id);
    await a
      .get(RolloutRepository)
      .decide(
        watch.id,
        { status: ['watching'] },
        { verdict: 'rollback', reason: 'error_rate_delta', action: 'rollback', actor: 'node:gone' },
        { status: 'rolled_back' },
      );
    await b.get(ActivationWatch).round(2, 'node:b');
    expect((await store.getModule('orphan')).activeVersionId).toBe(first.id);
  });
});
