import { ClusterView, DnsDiscovery, DnsResolver } from '@seed/cluster';
import { ModuleRegistry } from '@seed/runtime';
import { eventually, settledVersion, startTestApp, TestApp, TOKENS } from './harness';
import { openEventStream } from './support/event-stream';
import { Client } from './support/pg';
import { uniquePrefix } from './support/redis';

const source = (k: number) => `export default (input: { n: number }) => input.n + ${k};`;
const DNS_QUERY = 'seed-e2e.invalid';

/**
 * Three in-process nodes on one PostgreSQL database and one Redis namespace (plus short-lived fourth nodes):
 * what every node serves, what GET /cluster says about it, races between nodes, and DNS discovery.
 */
describe('cluster: three nodes, one truth', () => {
  let a: TestApp;
  let b: TestApp;
  let c: TestApp;
  let nodes: TestApp[];
  const shared = {
    REDIS_PREFIX: uniquePrefix('cluster3'),
    // only broadcasts (and boot) move versions: a periodic reconcile would hide a lost broadcast
    RECONCILE_INTERVAL: '600000',
    DNS_CLUSTER_QUERY: DNS_QUERY,
  };

  beforeAll(async () => {
    a = await startTestApp({ ...shared, NODE_NAME: 'node-a', NODE_ADDRESS: 'fdaa::a', NODE_REGION: 'ams' });
    b = await startTestApp(
      { ...shared, NODE_NAME: 'node-b', NODE_ADDRESS: 'fdaa::b' },
      { database: a.database },
    );
    c = await startTestApp(
      { ...shared, NODE_NAME: 'node-c', NODE_ADDRESS: '10.0.0.3' },
      { database: a.database },
    );
    nodes = [a, b, c];
  });
  afterAll(async () => {
    await c?.close();
    await b?.close();
    await a?.close();
  });

  const invoke = (node: TestApp, module: string, n = 1) =>
    node.request('POST', `/modules/${module}/invoke`, { input: { n } });
  const serving = (node: TestApp, module: string) => node.app.get(ModuleRegistry).current(module)?.versionId;
  const clusterOf = async (node: TestApp): Promise<ClusterView> =>
    (await node.request('GET', '/cluster', undefined, { role: 'viewer' })).body;
  /** The entry of `module` on `name` in a node's GET /cluster. */
  const moduleOn = async (node: TestApp, name: string, module: string) =>
    (await clusterOf(node)).nodes.find((n) => n.name === name)?.modules.find((m) => m.name === module);
  const query = async (node: TestApp, sql: string, values: unknown[] = []) => {
    const client = new Client(node.database.url);
    await client.connect();
    try {
      return (await client.query(sql, values)).rows;
    } finally {
      await client.end();
    }
  };

  it('serves an activation made on one node on all three, and GET /cluster on each lists all three with their versions', async () => {
    const created = await a.request('POST', '/modules', { name: 'greet', source: source(1), tests: [] });
    expect((await settledVersion(a, 'greet', created.body.versionId)).status).toBe('active');
    for (const node of nodes) expect((await invoke(node, 'greet')).body.output).toBe(2);

    // submitted on b, activated by whichever node's worker takes the job; a and c already serve v1, so only
    // the broadcast can move them
    const submitted = await b.request('POST', '/modules/greet/versions', {
      source: source(2),
      activate: true,
    });
    const v2 = await settledVersion(b, 'greet', submitted.body.versionId);
    expect(v2.status).toBe('active');
    for (const node of nodes) {
      await eventually(
        async () => ((await invoke(node, 'greet')).body.versionId === v2.id ? true : undefined),
        10_000,
        `${node.config.nodeName} to serve v2`,
      );
    }

    for (const node of nodes) {
      const view = await eventually(
        async () => {
          const view = await clusterOf(node);
          const greet = view.nodes.map((n) => n.modules.find((m) => m.name === 'greet'));
          return view.nodes.length === 3 && greet.every((m) => m?.current === v2.id) ? view : undefined;
        },
        10_000,
        `GET /cluster on ${node.config.nodeName} to show v2 on every node`,
      );
      expect(view.self).toBe(node.config.nodeName);
      expect(view.degraded).toEqual([]);
      expect(view.active?.greet).toEqual({ versionId: v2.id, seq: 2 });
      expect(view.nodes.map((n) => n.name)).toEqual(['node-a', 'node-b', 'node-c']);
      expect(view.nodes[0]).toMatchObject({
        region: 'ams',
        address: 'fdaa::a',
        serviceVersion: a.config.version,
      });
      // (the three names above are fresh presence: a node unseen for the TTL leaves the view)
      for (const n of view.nodes) {
        expect(n.modules.find((m) => m.name === 'greet')).toMatchObject({
          current: v2.id,
          behind: false,
        });
      }
    }
  });

  it('keeps versions and activations consistent when ten submissions and ten activations race across the nodes', async () => {
    const created = await a.request('POST', '/modules', { name: 'race', source: source(0), tests: [] });
    await settledVersion(a, 'race', created.body.versionId);

    const submitted = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        nodes[i % 3].request('POST', '/modules/race/versions', { source: source(i + 1), activate: true }),
      ),
    );
    expect(submitted.map((s) => s.status)).toEqual(Array(10).fill(202));
    const settled = await Promise.all(
      submitted.map((s) => settledVersion(a, 'race', s.body.versionId, 30_000)),
    );
    // each was submitted against the version active then: the first to finish wins, the rest that lost
    // their parent are superseded (never activated over a version they were not tested against)
    expect(settled.every((v) => ['active', 'retired', 'superseded'].includes(v.status))).toBe(true);

    // unconditional admin activations, all at once, from every node
    const [{ active_version_id: activeNow }] = await query(
      a,
      'SELECT active_version_id FROM modules WHERE name = $1',
      ['race'],
    );
    const targets = settled.map((v) => v.id).filter((id) => id !== activeNow);
    const activated = await Promise.all(
      targets.map((id, i) => nodes[i % 3].request('POST', '/modules/race/activate', { versionId: id })),
    );
    expect(activated.map((r) => r.status)).toEqual(targets.map(() => 200));

    const versions = await query(
      a,
      'SELECT v.seq FROM module_versions v JOIN modules m ON m.id = v.module_id WHERE m.name = $1 ORDER BY v.seq',
      ['race'],
    );
    expect(versions.map((v) => v.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));

    // one chain: starting from the first activation, each one's from is the previous one's to
    const rows = await query(
      a,
      `SELECT a.from_version_id AS "from", a.to_version_id AS "to", m.active_version_id AS active
         FROM activations a JOIN modules m ON m.id = a.module_id WHERE m.name = $1`,
      ['race'],
    );
    const byFrom = new Map<string | null, { from: string | null; to: string }>();
    for (const row of rows) {
      expect(byFrom.has(row.from)).toBe(false); // two activations from one version: a fork
      byFrom.set(row.from, { from: row.from, to: row.to });
    }
    const chain: string[] = [];
    for (let at: string | null = null; byFrom.has(at); at = byFrom.get(at)!.to)
      chain.push(byFrom.get(at)!.to);
    expect(chain).toHaveLength(rows.length);
    expect(chain[chain.length - 1]).toBe(rows[0].active);
    expect(rows.length).toBe(1 + settled.filter((v) => v.status !== 'superseded').length + targets.length);

    for (const node of nodes) {
      await eventually(
        async () => (serving(node, 'race') === rows[0].active ? true : undefined),
        10_000,
        `${node.config.nodeName} to serve the last activation`,
      );
    }
  });

  it('reports DNS peers that do not heartbeat and heartbeating nodes DNS does not list, as a warning only', async () => {
    const resolver = a.app.get(DnsResolver);
    const noRecords = Object.assign(new Error('queryA ENODATA'), { code: 'ENODATA' });
    const resolve4 = jest.spyOn(resolver, 'resolve4').mockRejectedValue(noRecords);
    const resolve6 = jest.spyOn(resolver, 'resolve6').mockResolvedValue(['fdaa:0::a', 'fdaa::b', 'fdaa::d']);
    try {
      await a.app.get(DnsDiscovery).poll();
      expect(resolve6).toHaveBeenCalledWith(DNS_QUERY);

      const view = (await a.request('GET', '/cluster', undefined, { role: 'viewer' })).body;
      expect(view).toMatchObject({
        dns: { query: DNS_QUERY },
        expected: ['fdaa::a', 'fdaa::b', 'fdaa::d'],
        missing: ['fdaa::d'],
        unexpected: [{ name: 'node-c', address: '10.0.0.3' }],
      });
      const deep = await a.request('GET', '/health/deep', undefined, { role: 'viewer' });
      expect(deep.status).toBe(200);
      expect(deep.body.details.cluster).toMatchObject({
        status: 'up',
        warning: true,
        query: DNS_QUERY,
        missing: ['fdaa::d'],
        unexpected: [{ name: 'node-c', address: '10.0.0.3' }],
      });
      expect(deep.body.details.cluster.message).toMatch(/possible partition.*fdaa::d.*node-c/);

      // DNS and presence agree again: no warning
      resolve4.mockResolvedValue(['10.0.0.3']);
      resolve6.mockResolvedValue(['fdaa::a', 'fdaa::b']);
      await a.app.get(DnsDiscovery).poll();
      const agreed = await a.request('GET', '/health/deep', undefined, { role: 'viewer' });
      expect(agreed.body.details.cluster).toMatchObject({ status: 'up', missing: [], unexpected: [] });
      expect(agreed.body.details.cluster).not.toHaveProperty('warning');
      expect((await a.request('GET', '/cluster')).body).toMatchObject({ missing: [], unexpected: [] });
    } finally {
      resolve4.mockRestore();
      resolve6.mockRestore();
    }
  });

  it('a node that cannot load a version reports it (metric, /cluster, event) and keeps serving its current one', async () => {
    // A top level of ~16 MB: fine under the default 64 MB, impossible under 8 MB.
    const heavy =
      'const big: number[] = []; for (let i = 0; i < 2_000_000; i++) big.push(i * 1.5);\n' +
      'export default () => big.length;';
    const created = await a.request('POST', '/modules', {
      name: 'heavy',
      source: 'export default () => 1;',
      tests: [],
    });
    const v1 = await settledVersion(a, 'heavy', created.body.versionId);
    const submitted = await a.request('POST', '/modules/heavy/versions', { source: heavy, activate: false });
    const v2 = await settledVersion(a, 'heavy', submitted.body.versionId);
    expect(v2.status).toBe('ready');

    const small = await startTestApp(
      { ...shared, NODE_NAME: 'node-small', SANDBOX_MEMORY_MB: '8' },
      { database: a.database },
    );
    const stream = await openEventStream(`${a.url}/events?module=heavy`, TOKENS.viewer);
    try {
      expect(serving(small, 'heavy')).toBe(v1.id);
      await eventually(async () => (stream.events.some((e) => e.type === 'ready') ? true : undefined));
      expect((await a.request('POST', '/modules/heavy/activate', { versionId: v2.id })).status).toBe(200);
      for (const node of nodes) {
        await eventually(async () => (serving(node, 'heavy') === v2.id ? true : undefined), 10_000);
      }

      const failed = await eventually(
        async () =>
          stream.events.find((e) => e.type === 'version.load_failed' && e.data.node === 'node-small'),
        10_000,
        'the version.load_failed event',
      );
      expect(failed.data).toMatchObject({ module: 'heavy', versionId: v2.id, servingVersionId: v1.id });
      expect((await invoke(small, 'heavy')).body).toEqual({ output: 1, versionId: v1.id });
      const metrics = await (await fetch(`${small.url}/metrics`)).text();
      expect(metrics).toMatch(/seed_agent_version_load_failures_total\{module="heavy"\} [1-9]/);
      const entry = await eventually(async () => {
        const module = await moduleOn(b, 'node-small', 'heavy');
        return module?.loadFailure ? module : undefined;
      });
      expect(entry).toMatchObject({
        current: v1.id,
        behind: true,
        loadFailure: { versionId: v2.id, seq: 2 },
      });

      // back to v1: node-small serves what it should again, and the failure is gone from /cluster
      expect((await b.request('POST', '/modules/heavy/activate', { versionId: v1.id })).status).toBe(200);
      await eventually(async () => {
        const module = await moduleOn(c, 'node-small', 'heavy');
        return module && !module.loadFailure && module.behind === false ? true : undefined;
      });
    } finally {
      await stream.close();
      await small.close();
    }
  });

  it('a node started after five activations serves the latest versions before it reports ready', async () => {
    const created = await c.request('POST', '/modules', { name: 'late', source: source(100), tests: [] });
    let latest = (await settledVersion(c, 'late', created.body.versionId)).id;
    for (let k = 101; k <= 104; k++) {
      const submitted = await nodes[k % 3].request('POST', '/modules/late/versions', {
        source: source(k),
        activate: true,
      });
      const version = await settledVersion(a, 'late', submitted.body.versionId);
      expect(version.status).toBe('active');
      latest = version.id;
    }
    const history = await a.request('GET', '/modules/late/activations');
    expect(history.body.total).toBe(5);

    const late = await startTestApp({ ...shared, NODE_NAME: 'node-late' }, { database: a.database });
    try {
      // startTestApp returns once the node is ready: what it serves now was loaded before readiness
      const active = await query(
        a,
        'SELECT m.name, m.active_version_id AS id FROM modules m WHERE m.active_version_id IS NOT NULL',
      );
      for (const row of active) expect(serving(late, row.name)).toBe(row.id);
      expect(serving(late, 'late')).toBe(latest);
      expect((await late.request('GET', '/health/ready', undefined, { role: null })).status).toBe(200);
      expect((await invoke(late, 'late')).body).toEqual({ output: 105, versionId: latest });
    } finally {
      await late.close();
    }
  });
});
