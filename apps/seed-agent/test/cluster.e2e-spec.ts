import { eventually, settledVersion, startTestApp, TestApp, TOKENS } from './harness';
import { openEventStream } from './support/event-stream';
import { uniquePrefix } from './support/redis';

const V1 = 'export default (input: { n: number }) => input.n + 1;';
const V2 = 'export default (input: { n: number }) => input.n + 2;';

/** Two nodes on one PostgreSQL database and one Redis namespace: what every node serves follows activations. */
describe('cluster: activations reach every node', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const shared = { REDIS_PREFIX: uniquePrefix('cluster'), RECONCILE_INTERVAL: '600000' };
    a = await startTestApp({ ...shared, NODE_NAME: 'node-a' });
    b = await startTestApp({ ...shared, NODE_NAME: 'node-b' }, { database: a.database });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const invoke = (node: TestApp, n: number) =>
    node.request('POST', '/modules/shared/invoke', { input: { n } });

  it('lists both nodes, hot-swaps a version activated on one node into the other, and rolls back everywhere', async () => {
    const nodes = await eventually(async () => {
      const res = await b.request('GET', '/cluster');
      return res.body.nodes.length === 2 ? res.body.nodes : undefined;
    });
    expect(nodes.map((n: { name: string }) => n.name)).toEqual(['node-a', 'node-b']);

    const created = await a.request('POST', '/modules', { name: 'shared', source: V1, tests: [] });
    const v1 = await settledVersion(a, 'shared', created.body.versionId);
    expect(v1.status).toBe('active');
    // node-b loads it on its first call (it may also have heard the broadcast)
    expect((await invoke(b, 1)).body).toEqual({ output: 2, versionId: v1.id });

    const submitted = await a.request('POST', '/modules/shared/versions', { source: V2, activate: true });
    const v2 = await settledVersion(a, 'shared', submitted.body.versionId);
    expect(v2.status).toBe('active');
    // node-b already serves v1: only the broadcast (or a reconcile) can move it to v2
    await eventually(
      async () => ((await invoke(b, 1)).body.output === 3 ? true : undefined),
      10_000,
      'node-b to serve v2',
    );
    expect((await invoke(a, 1)).body.output).toBe(3);

    expect((await b.request('POST', '/modules/shared/rollback', {})).status).toBe(200);
    await eventually(
      async () => ((await invoke(a, 1)).body.output === 2 ? true : undefined),
      10_000,
      'node-a to serve v1',
    );
    expect((await invoke(b, 1)).body).toEqual({ output: 2, versionId: v1.id });
  });

  it('streams events from every node: a submission on node-a is seen on node-b', async () => {
    const stream = await openEventStream(`${b.url}/events?module=shared`, TOKENS.viewer);
    const types = () => stream.events.map((e) => e.type);
    await eventually(async () => (types().includes('ready') ? true : undefined));
    const submitted = await a.request('POST', '/modules/shared/versions', { source: V2, activate: true });
    await settledVersion(a, 'shared', submitted.body.versionId);
    await eventually(
      async () => (types().includes('module.activated') ? true : undefined),
      10_000,
      'the activation event on node-b',
    );
    const activated = stream.events.find((e) => e.type === 'module.activated');
    expect(activated?.data).toMatchObject({ module: 'shared', versionId: submitted.body.versionId });
    await stream.close();
  });

  it('forgets a deleted module on every node', async () => {
    expect((await a.request('DELETE', '/modules/shared')).status).toBe(204);
    await eventually(
      async () => ((await invoke(b, 1)).status === 404 ? true : undefined),
      10_000,
      'node-b to drop the module',
    );
    expect((await invoke(b, 1)).body.error.code).toBe('module_not_found');
  });
});
