import { RouteTable } from '@seed/hot-reload';
import { TrafficReporter } from '@seed/rollout';
import { ModuleRegistry } from '@seed/runtime';
import { eventually, settledVersion, startTestApp, TestApp, TestRole } from './harness';
import { uniquePrefix } from './support/redis';

const V1 = 'export default (input: { n: number }) => input.n * 2;';
const V2 = 'export default (input: { n: number }) => input.n + input.n;';
const BROKEN =
  'export default (input: { n: number }) => { if (input.n > 0) throw new Error("boom"); return 0; };';

/** Three nodes on one PostgreSQL database and one Redis namespace, with short report and analysis intervals. */
describe('rollouts across three nodes: split, sticky keys, pins, and decisions taken once for the cluster', () => {
  const nodes: TestApp[] = [];
  const shared = {
    REDIS_PREFIX: uniquePrefix('rollout'),
    ROLLOUT_REPORT_INTERVAL: '100',
    ROLLOUT_ANALYSIS_INTERVAL: '100',
    ROLLOUT_LEASE_TTL: '2000',
    CANARY_ENABLED: 'false',
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_BURST: '1000000',
  };

  beforeAll(async () => {
    nodes.push(await startTestApp({ ...shared, NODE_NAME: 'node-a' }));
    for (const name of ['node-b', 'node-c']) {
      nodes.push(await startTestApp({ ...shared, NODE_NAME: name }, { database: nodes[0].database }));
    }
  }, 120_000);
  afterAll(async () => {
    for (const node of nodes.splice(0).reverse()) await node.close();
  });

  const admin = () => nodes[0];

  async function moduleWithCandidate(name: string, candidate = V2) {
    const created = await admin().request('POST', '/modules', { name, source: V1, tests: [] });
    expect((await settledVersion(admin(), name, created.body.versionId)).status).toBe('active');
    const submitted = await admin().request('POST', `/modules/${name}/versions`, {
      source: candidate,
      activate: false,
    });
    expect((await settledVersion(admin(), name, submitted.body.versionId)).status).toBe('ready');
    return { v1: created.body.versionId as string, v2: submitted.body.versionId as string };
  }

  /** Every node routes `module` at `weight` with its canary loaded. */
  async function routedEverywhere(module: string, accept: (weight: number) => boolean) {
    await eventually(
      async () => {
        for (const node of nodes) {
          const route = node.app.get(RouteTable).route(module);
          if (!route || !accept(route.weight)) return undefined;
          if (node.app.get(ModuleRegistry).canaryVersion(module)?.versionId !== route.canaryVersionId)
            return undefined;
        }
        return true;
      },
      20_000,
      `every node to route ${module}`,
    );
  }

  const invoke = (
    node: TestApp,
    module: string,
    n: number,
    headers: Record<string, string> = {},
    role?: TestRole,
  ) =>
    node.request(
      'POST',
      `/modules/${module}/invoke`,
      { input: { n } },
      { headers, ...(role ? { role } : {}) },
    );

  async function rolloutOf(module: string) {
    return (await admin().request('GET', `/modules/${module}/rollouts`)).body.items[0];
  }

  /** Calls spread over the nodes and the three tokens until `done` holds (bounded). */
  async function driveUntil(module: string, done: () => Promise<boolean>, what: string) {
    const roles: TestRole[] = ['admin', 'agent', 'viewer'];
    let i = 0;
    await eventually(
      async () => {
        await Promise.all(
          Array.from({ length: 30 }, () => {
            i++;
            return invoke(nodes[i % 3], module, 1, {}, roles[i % 3]);
          }),
        );
        return (await done()) ? true : undefined;
      },
      60_000,
      what,
    );
  }

  it('sends 25 % of 10,000 calls over three nodes to the canary, within 2 points, naming the version served', async () => {
    const { v2 } = await moduleWithCandidate('split');
    const started = await admin().request('POST', '/modules/split/rollouts', {
      versionId: v2,
      steps: [25, 100],
      intervalMs: 86_400_000,
    });
    expect(started.status).toBe(201);
    await routedEverywhere('split', (w) => w === 25);
    let canary = 0;
    const calls = 10_002;
    for (let batch = 0; batch < calls / 3 / 18; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 54 }, (_, i) => invoke(nodes[i % 3], 'split', i)),
      );
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(a.headers.get('seed-version-served')).toBe(a.body.versionId);
        if (a.body.versionId === v2) canary++;
      }
    }
    expect(Math.abs(canary / calls - 0.25)).toBeLessThanOrEqual(0.02);
  }, 180_000);

  it('keeps a Seed-Version-Key on one version on every node, and there as the weight rises', async () => {
    const { v2 } = await moduleWithCandidate('sticky');
    // observeOnly: the schedule moves on every interval whatever the analysis says
    await admin().request('POST', '/modules/sticky/rollouts', {
      versionId: v2,
      steps: [25, 60, 90],
      intervalMs: 1500,
      analysis: { observeOnly: true, minCalls: 1 },
    });
    await routedEverywhere('sticky', (w) => w === 25);
    const keys = Array.from({ length: 60 }, (_, i) => `user-${i}`);
    const at25 = new Map<string, string>();
    for (const key of keys) {
      const served = await Promise.all(nodes.map((n) => invoke(n, 'sticky', 1, { 'seed-version-key': key })));
      const versions = new Set(served.map((s) => s.body.versionId));
      expect([key, versions.size]).toEqual([key, 1]);
      at25.set(key, served[0].body.versionId);
    }
    const onCanary = keys.filter((k) => at25.get(k) === v2);
    expect(onCanary.length).toBeGreaterThan(0);
    expect(onCanary.length).toBeLessThan(keys.length);
    await routedEverywhere('sticky', (w) => w > 25);
    await admin().request('POST', '/modules/sticky/rollouts/current/pause');
    for (const key of onCanary) {
      for (const node of nodes) {
        expect((await invoke(node, 'sticky', 1, { 'seed-version-key': key })).body.versionId).toBe(v2);
      }
    }
  }, 60_000);

  it('pins a version at 0 % with Seed-Version (admin, agent), never for a viewer, and counts pins nowhere', async () => {
    const { v1, v2 } = await moduleWithCandidate('pinned');
    for (const role of ['admin', 'agent'] as const) {
      const pinned = await invoke(nodes[1], 'pinned', 2, { 'seed-version': v2 }, role);
      expect([pinned.status, pinned.body.versionId, pinned.headers.get('seed-version-served')]).toEqual([
        200,
        v2,
        v2,
      ]);
    }
    const viewer = await invoke(nodes[1], 'pinned', 2, { 'seed-version': v2 }, 'viewer');
    expect([viewer.status, viewer.body.error.code]).toEqual([403, 'forbidden']);
    expect((await invoke(nodes[1], 'pinned', 2)).body.versionId).toBe(v1);
    // a module failure names the version that failed too
    const { v2: broken } = await moduleWithCandidate('pinned-broken', BROKEN);
    const failed = await invoke(nodes[1], 'pinned-broken', 2, { 'seed-version': broken });
    expect([failed.status, failed.headers.get('seed-version-served')]).toEqual([422, broken]);
    const bad = await invoke(nodes[1], 'pinned', 2, { 'seed-version': 'not-a-version' });
    expect(bad.status).toBe(400);

    // the pinned calls are in no counter: a rollout of v2 started now sees none of them in its window
    await admin().request('POST', '/modules/pinned/rollouts', { versionId: v2, intervalMs: 86_400_000 });
    await routedEverywhere('pinned', (w) => w === 5);
    await Promise.all(nodes.map((n) => n.app.get(TrafficReporter).flush()));
    const stats = await nodes[2].request('GET', '/modules/pinned/stats?windowMs=60000', undefined, {
      role: 'viewer',
    });
    expect(stats.status).toBe(200);
    const byRole = Object.fromEntries(stats.body.versions.map((v: { role: string }) => [v.role, v]));
    expect(byRole.canary).toMatchObject({ versionId: v2, total: { calls: 0 } });
    expect(byRole.stable).toMatchObject({ versionId: v1, total: { calls: 1, faults: 0 } });
    expect(byRole.stable.intervals).toHaveLength(1);

    // GET /cluster: node-b holds v1 as stable and v2 as canary (it was its pin), neither draining
    const cluster = await eventually(async () => {
      const body = (await admin().request('GET', '/cluster')).body;
      const b = body.nodes.find((n: { name: string }) => n.name === 'node-b');
      const module = b?.modules.find((m: { name: string }) => m.name === 'pinned');
      return module?.versions.some((v: { role: string }) => v.role === 'canary') ? module : undefined;
    });
    expect(cluster.versions).toEqual(
      expect.arrayContaining([
        { versionId: v1, role: 'stable', inFlight: 0, draining: false },
        { versionId: v2, role: 'canary', inFlight: 0, draining: false },
      ]),
    );
    expect((await admin().request('GET', '/modules/pinned/stats?windowMs=0')).status).toBe(400);
  });

  it('promotes a healthy canary through every step, each decision recorded once with its values', async () => {
    const { v2 } = await moduleWithCandidate('healthy');
    await admin().request('POST', '/modules/healthy/rollouts', {
      versionId: v2,
      steps: [20, 50, 100],
      intervalMs: 600,
      // a loaded test machine's latency jitter is not what this test is about (the verdict's spec covers it)
      analysis: { minCalls: 5, maxLatencyRatio: 1000 },
    });
    await driveUntil('healthy', async () => (await rolloutOf('healthy')).status === 'promoted', 'promotion');
    const rollout = await rolloutOf('healthy');
    expect(rollout.decisions.map((d: { verdict: string }) => d.verdict)).toEqual([
      'advance',
      'advance',
      'promote',
    ]);
    expect(rollout.decisions.map((d: { weight: number }) => d.weight)).toEqual([20, 50, 100]);
    expect(rollout.decisions[0].observed.canaryCalls).toBeGreaterThanOrEqual(5);
    expect(rollout.decisions[0].thresholds).toMatchObject({
      minCalls: 5,
      maxErrorRateDelta: 0.05,
      failureLimit: 2,
    });
    expect((await admin().request('GET', '/modules/healthy')).body.activeVersionId).toBe(v2);
    const activations = await admin().request('GET', '/modules/healthy/activations');
    expect(activations.body.items[0]).toMatchObject({ toVersionId: v2, reason: 'rollout' });
  }, 90_000);

  it('rolls back an error jump once for the cluster, naming the value that drove it', async () => {
    const { v1, v2 } = await moduleWithCandidate('jumpy', BROKEN);
    await admin().request('POST', '/modules/jumpy/rollouts', {
      versionId: v2,
      steps: [50, 100],
      intervalMs: 600,
      analysis: { minCalls: 10, failureLimit: 1 },
    });
    await driveUntil(
      'jumpy',
      async () => (await rolloutOf('jumpy')).status === 'rolled_back',
      'the rollback',
    );
    const rollout = await rolloutOf('jumpy');
    const rollbacks = rollout.decisions.filter((d: { verdict: string }) => d.verdict === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({ reason: 'error_rate_delta', action: 'rollback', weight: 50 });
    expect(rollbacks[0].observed.errorRateDelta).toBeGreaterThan(0.05);
    expect(rollbacks[0].observed.failingCallers).toBeGreaterThanOrEqual(2);
    expect(rollbacks[0].actor).toMatch(/^node:node-[abc]$/);
    expect((await admin().request('GET', '/modules/jumpy')).body.activeVersionId).toBe(v1);
    await eventually(
      async () => (nodes.every((n) => !n.app.get(RouteTable).route('jumpy')) ? true : undefined),
      20_000,
      'every node to drop the split',
    );
    for (const node of nodes) expect((await invoke(node, 'jumpy', 1)).body.versionId).toBe(v1);
  }, 90_000);

  it('without traffic, decides inconclusive (too few calls) and pauses', async () => {
    const { v2 } = await moduleWithCandidate('quiet');
    await admin().request('POST', '/modules/quiet/rollouts', { versionId: v2, intervalMs: 300 });
    const rollout = await eventually(
      async () => {
        const r = await rolloutOf('quiet');
        return r.status === 'paused' ? r : undefined;
      },
      20_000,
      'the pause',
    );
    expect(rollout.decisions).toHaveLength(1);
    expect(rollout.decisions[0]).toMatchObject({
      verdict: 'inconclusive',
      reason: 'too_few_calls',
      action: 'pause',
      weight: 5,
    });
    expect(rollout.decisions[0].observed.canaryCalls).toBe(0);
  });
});
