import { ensureBuilt } from './ensure-built';
import { eventually, request, TOKENS } from './harness';
import { createTestDatabase, TestDatabase } from './support/databases';
import { openEventStream } from './support/event-stream';
import { Client } from './support/pg';
import { type AppNodes, spawnAppNodes } from './support/app-nodes';
import { uniquePrefix } from './support/redis';

/**
 * Two app processes share the queue; the one running a job is killed with SIGKILL. Run from the queue, the job
 * stalls and the survivor takes it over; run locally by the submitting node, its delayed crash record comes due.
 */
describe.each([
  { mode: 'from the queue', localRun: 'false', stalled: true },
  { mode: 'locally on the submitting node', localRun: 'true', stalled: false },
])('cluster: a node dies in the middle of a job run $mode', ({ localRun, stalled }) => {
  let processes: AppNodes | undefined;
  let db: TestDatabase | undefined;

  beforeAll(() => ensureBuilt(), 180_000);
  afterAll(async () => {
    await processes?.dispose();
    await db?.drop();
  });

  it('another running node finishes it exactly once', async () => {
    db = await createTestDatabase();
    const prefix = uniquePrefix('crash-cluster');
    processes = await spawnAppNodes(['node-1', 'node-2'], {
      databaseUrl: db.url,
      redisPrefix: prefix,
      env: {
        PIPELINE_LOCAL_RUN: localRun,
        PIPELINE_LOCK_DURATION: '2000',
        PIPELINE_STALLED_INTERVAL: '1000',
        // a dead node leaves the presence set after ~1 s
        CLUSTER_POLL_INTERVAL: '300',
        CLUSTER_PRESENCE_TTL: '1000',
      },
    });
    const { nodes } = processes;

    const stream = await openEventStream(`${nodes[0].base}/events?module=slow`, TOKENS.viewer);
    // Each case burns ~300 ms of CPU, so the test stage lasts seconds: time to kill the node mid-job.
    const slow =
      'export default (n: number) => { const end = Date.now() + 300; while (Date.now() < end) {} return n; };';
    const tests = Array.from({ length: 12 }, (_, i) => ({ name: `case-${i}`, input: i, expect: i }));
    const created = await request(nodes[0].base, 'POST', '/modules', { name: 'slow', source: slow, tests });
    expect(created.status).toBe(201);
    const jobId = created.body.jobId;
    const testing = await eventually(
      async () => stream.events.find((e) => e.type === 'version.stage' && e.data.stage === 'test'),
      20_000,
      'the job to reach its test stage',
    );
    await stream.close();
    const victim = nodes.find((n) => n.name === testing.data.node)!;
    const survivor = nodes.find((n) => n !== victim)!;
    await victim.app.stop('SIGKILL');

    const done = await eventually(
      async () => {
        const job = await request(survivor.base, 'GET', `/jobs/${jobId}`);
        return job.body.state === 'completed' ? job.body : undefined;
      },
      30_000,
      `${survivor.name} to finish the job`,
    );
    expect(done.result).toMatchObject({ status: 'active', activated: true });
    const client = new Client(db.url);
    await client.connect();
    const versions = await client.query('SELECT id, status FROM module_versions');
    const activations = await client.query('SELECT from_version_id, to_version_id FROM activations');
    await client.end();
    expect(versions.rows).toEqual([{ id: jobId, status: 'active' }]);
    expect(activations.rows).toEqual([{ from_version_id: null, to_version_id: jobId }]);
    expect((await request(survivor.base, 'POST', '/modules/slow/invoke', { input: 7 })).body).toEqual({
      output: 7,
      versionId: jobId,
    });

    const metrics = await (await fetch(`${survivor.base}/metrics`)).text();
    // a stalled job is one a worker held; a crash record was only ever delayed
    if (stalled) expect(metrics).toMatch(/^seed_agent_hot_reload_stalled_jobs_total [1-9]/m);
    else expect(metrics).not.toMatch(/^seed_agent_hot_reload_stalled_jobs_total [1-9]/m);
    // the dead node's heartbeat expired; the survivor is alone in the cluster
    const cluster = await eventually(async () => {
      const res = await request(survivor.base, 'GET', '/cluster', undefined, { role: 'viewer' });
      return res.body.nodes.length === 1 ? res.body : undefined;
    });
    expect(cluster.nodes[0]).toMatchObject({
      name: survivor.name,
      modules: [{ name: 'slow', current: jobId, behind: false }],
    });
  }, 120_000);
});
