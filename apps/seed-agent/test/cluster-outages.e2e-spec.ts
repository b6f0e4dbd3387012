import type { ClusterView } from '@seed/cluster';
import { ModuleRegistry } from '@seed/runtime';
import { eventually, settledVersion, startTestApp, TestApp } from './harness';
import type { TestDatabase } from './support/databases';
import { PrivatePostgres, startPrivatePostgres } from './support/postgres';
import { PrivateRedis, startPrivateRedis, uniquePrefix } from './support/redis';

/** One loaded version serving as stable (GET /cluster), however many calls it has in flight. */
const stable = (versionId: string) => ({
  versionId,
  role: 'stable',
  inFlight: expect.any(Number),
  draining: false,
});

const source = (k: number) => `export default (input: { n: number }) => input.n * ${k};`;
const serving = (node: TestApp, module: string) => node.app.get(ModuleRegistry).current(module)?.versionId;
const invoke = (node: TestApp, module: string, n = 1) =>
  node.request('POST', `/modules/${module}/invoke`, { input: { n } });

async function startNodes(
  count: number,
  env: Record<string, string>,
  database?: TestDatabase,
): Promise<TestApp[]> {
  const nodes: TestApp[] = [];
  for (let i = 0; i < count; i++) {
    const db = database ?? nodes[0]?.database;
    nodes.push(await startTestApp({ ...env, NODE_NAME: `node-${i + 1}` }, db ? { database: db } : undefined));
  }
  return nodes;
}

async function closeAll(nodes: TestApp[]): Promise<void> {
  for (const node of [...nodes].reverse()) await node.close();
}

/** Three in-process nodes on a private Redis that goes away and comes back. */
describe('cluster: a Redis restart', () => {
  let redis: PrivateRedis;
  let nodes: TestApp[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    nodes = await startNodes(3, {
      REDIS_URL: redis.url,
      REDIS_PREFIX: uniquePrefix('redis-restart'),
      // recovery must come from the reconnect, not from a periodic reconcile
      RECONCILE_INTERVAL: '600000',
      HEALTH_CHECK_TIMEOUT: '500',
    });
  });
  afterAll(async () => {
    await redis?.start();
    await closeAll(nodes);
    await redis?.dispose();
  });

  it('activates through PostgreSQL during the outage, and every node serves it once Redis is back; no submission is lost', async () => {
    const [a, b, c] = nodes;
    const created = await a.request('POST', '/modules', { name: 'steady', source: source(2), tests: [] });
    const v1 = await settledVersion(a, 'steady', created.body.versionId);
    const submitted = await b.request('POST', '/modules/steady/versions', {
      source: source(3),
      activate: false,
    });
    const v2 = await settledVersion(a, 'steady', submitted.body.versionId);
    expect(v2.status).toBe('ready');
    for (const node of nodes) expect((await invoke(node, 'steady')).body.versionId).toBe(v1.id);

    await redis.stop();
    // the activation is PostgreSQL's; only its broadcast fails (softly, bounded)
    const activated = await a.request('POST', '/modules/steady/activate', { versionId: v2.id });
    expect(activated.status).toBe(200);
    expect(serving(a, 'steady')).toBe(v2.id);
    // the others missed the broadcast and keep serving what they have
    expect((await invoke(b, 'steady', 5)).body).toEqual({ output: 10, versionId: v1.id });
    expect((await invoke(c, 'steady', 5)).body).toEqual({ output: 10, versionId: v1.id });
    // a submission during the outage is stored in PostgreSQL; its job waits for Redis
    const during = await c.request('POST', '/modules/steady/versions', {
      source: source(4),
      activate: false,
    });
    expect(during.status).toBe(202);
    const ready = await b.request('GET', '/health/ready', undefined, { role: null });
    expect(ready.body).toMatchObject({ status: 'degraded', degraded: ['redis'] });
    const cluster = await b.request('GET', '/cluster');
    expect(cluster.status).toBe(200);
    expect(cluster.body).toMatchObject({ degraded: ['redis'], nodes: [{ name: 'node-2' }] });

    await redis.start();
    for (const node of nodes) {
      await eventually(
        async () => (serving(node, 'steady') === v2.id ? true : undefined),
        20_000,
        `${node.config.nodeName} to reconcile after the reconnect`,
      );
    }
    const v3 = await settledVersion(b, 'steady', during.body.versionId, 30_000);
    expect(v3.status).toBe('ready');
    for (const node of nodes)
      expect((await invoke(node, 'steady', 5)).body).toEqual({ output: 15, versionId: v2.id });
    // every node's heartbeat is back, with what it serves now
    const view = await eventually(
      async () => {
        const view: ClusterView = (await c.request('GET', '/cluster')).body;
        const nodes = view.nodes ?? [];
        return nodes.length === 3 && nodes.every((n) => n.modules[0]?.current === v2.id) ? view : undefined;
      },
      10_000,
      'GET /cluster to show every node on v2',
    );
    expect(view.degraded).toEqual([]);
    for (const node of view.nodes) {
      expect(node.modules).toEqual([
        { name: 'steady', current: v2.id, behind: false, versions: [stable(v2.id)] },
      ]);
    }
  }, 60_000);
});

/** Three in-process nodes on a private PostgreSQL that stops and starts again. */
describe('cluster: a PostgreSQL outage', () => {
  let postgres: PrivatePostgres;
  let nodes: TestApp[] = [];

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    const database = { name: 'postgres', url: postgres.url, drop: async () => undefined };
    nodes = await startNodes(
      3,
      { REDIS_PREFIX: uniquePrefix('pg-outage'), RECONCILE_INTERVAL: '600000', HEALTH_CHECK_TIMEOUT: '500' },
      database,
    );
  }, 60_000);
  afterAll(async () => {
    await postgres?.start().catch(() => undefined);
    await closeAll(nodes);
    await postgres?.dispose();
  });

  it('keeps serving loaded versions on every node, refuses submissions with a clear 503, and resumes', async () => {
    const [a, b, c] = nodes;
    const created = await a.request('POST', '/modules', { name: 'steady', source: source(2), tests: [] });
    const v1 = await settledVersion(a, 'steady', created.body.versionId);
    for (const node of nodes) expect((await invoke(node, 'steady')).body.versionId).toBe(v1.id);

    await postgres.stop();
    for (const node of nodes) {
      expect((await invoke(node, 'steady', 7)).body).toEqual({ output: 14, versionId: v1.id });
      const submitted = await node.request('POST', '/modules/steady/versions', { source: source(5) });
      expect(submitted.status).toBe(503);
      expect(submitted.body.error.code).toBe('unavailable');
      const ready = await node.request('GET', '/health/ready', undefined, { role: null });
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'degraded', degraded: ['postgres'] });
      const deep = await node.request('GET', '/health/deep', undefined, { role: 'viewer' });
      expect(deep.status).toBe(503);
      expect(deep.body.error.postgres.status).toBe('down');
      expect(deep.body.details.redis.status).toBe('up');
    }
    // presence lives in Redis: the cluster is still visible, only `behind` is unknown
    const cluster = await b.request('GET', '/cluster');
    expect(cluster.status).toBe(200);
    expect(cluster.body.degraded).toEqual(['postgres']);
    expect(cluster.body.nodes).toHaveLength(3);
    expect(cluster.body.nodes[0].modules).toEqual([
      { name: 'steady', current: v1.id, behind: null, versions: [stable(v1.id)] },
    ]);

    await postgres.start();
    for (const node of nodes) {
      await eventually(
        async () =>
          (await node.request('GET', '/health/deep', undefined, { role: null })).status === 200
            ? true
            : undefined,
        20_000,
        `${node.config.nodeName} to see PostgreSQL again`,
      );
    }
    const submitted = await c.request('POST', '/modules/steady/versions', {
      source: source(6),
      activate: true,
    });
    expect(submitted.status).toBe(202);
    const v2 = await settledVersion(c, 'steady', submitted.body.versionId, 30_000);
    expect(v2.status).toBe('active');
    for (const node of nodes) {
      await eventually(async () => (serving(node, 'steady') === v2.id ? true : undefined), 20_000);
      expect((await invoke(node, 'steady')).body).toEqual({ output: 6, versionId: v2.id });
    }
  }, 90_000);
});

/** Two in-process nodes on a private Redis that restarts with none of its data, while jobs run. */
describe('cluster: a Redis that loses its data', () => {
  let redis: PrivateRedis;
  let nodes: TestApp[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    nodes = await startNodes(2, {
      REDIS_URL: redis.url,
      REDIS_PREFIX: uniquePrefix('redis-loss'),
      PIPELINE_LOCK_DURATION: '1000',
      PIPELINE_STALLED_INTERVAL: '1000',
      PIPELINE_SWEEP_INTERVAL: '1000',
      PIPELINE_CONCURRENCY: '2',
      HEALTH_CHECK_TIMEOUT: '500',
      // the test polls eight versions at once until they are decided
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_BURST: '10000',
    });
  });
  afterAll(async () => {
    await closeAll(nodes);
    await redis?.dispose();
  });

  it('decides every submitted version, whatever stage its job was at when Redis lost it', async () => {
    const [a, b] = nodes;
    // Each case burns ~100 ms, so several jobs are in their test stage when Redis goes.
    const slow = (k: number) =>
      `export default (n: number) => { const end = Date.now() + 100; while (Date.now() < end) {} return n * ${k}; };`;
    const tests = Array.from({ length: 4 }, (_, i) => ({ name: `case-${i}`, input: i }));
    const created = await a.request('POST', '/modules', { name: 'lossy', source: slow(1), tests });
    const v1 = await settledVersion(a, 'lossy', created.body.versionId);
    expect(v1.status).toBe('active');

    const requests = [
      ...[2, 3, 4].map((k) => ({ source: slow(k), activate: true, expect: ['active', 'superseded'] })),
      ...[5, 6].map((k) => ({ source: slow(k), activate: false, expect: ['ready'] })),
      { source: slow(7), activate: true, dryRun: true, expect: ['ready'] },
      {
        source: 'export default (n: number) => { throw new Error("no"); };',
        activate: true,
        expect: ['rejected'],
      },
      { source: 'export default (n: number) => n +;', activate: true, expect: ['rejected'] },
    ];
    const submitted = await Promise.all(
      requests.map(async ({ expect: _, ...body }, i) => {
        const res = await nodes[i % 2].request('POST', '/modules/lossy/versions', body);
        expect(res.status).toBe(202);
        return res.body.versionId as string;
      }),
    );
    const statuses = async () =>
      Promise.all(
        submitted.map(
          async (id) => (await b.request('GET', `/modules/lossy/versions/${id}`)).body.status as string,
        ),
      );
    await eventually(
      async () => ((await statuses()).includes('testing') ? true : undefined),
      20_000,
      'a version to reach its test stage',
    );

    await redis.restartEmpty();

    const final = await eventually(
      async () => {
        const now = await statuses();
        return now.every((s) => ['active', 'superseded', 'ready', 'rejected'].includes(s)) ? now : undefined;
      },
      45_000,
      'every version to be decided',
    );
    const unexpected = final.flatMap((status, i) =>
      requests[i].expect.includes(status)
        ? []
        : [`${i}: ${status}, expected ${requests[i].expect.join(' or ')}`],
    );
    expect(unexpected).toEqual([]);
    // exactly one of the activations won the compare-and-swap on v1; the module serves it everywhere
    const winners = submitted.filter((_, i) => final[i] === 'active');
    expect(winners).toHaveLength(1);
    for (const node of nodes) {
      await eventually(async () => (serving(node, 'lossy') === winners[0] ? true : undefined), 20_000);
    }
  }, 90_000);
});
