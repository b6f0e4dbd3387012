import { Redis } from 'ioredis';
import { ensureBuilt } from './ensure-built';
import { eventually, request, SHARED_REDIS_URL } from './harness';
import { createTestDatabase, TestDatabase } from './support/databases';
import { type AppNodes, spawnAppNodes } from './support/app-nodes';
import { uniquePrefix } from './support/redis';

const V1 = 'export default (n: number) => n;';
const V2 = 'export default (n: number) => n + 0;';

/** Three app processes; the one holding the analyser's lease is killed with SIGKILL in the middle of a rollout. */
describe('rollouts: the analyser dies mid-rollout', () => {
  let cluster: AppNodes | undefined;
  let db: TestDatabase | undefined;
  const redis = new Redis(SHARED_REDIS_URL, { lazyConnect: true });

  beforeAll(() => ensureBuilt(), 180_000);
  afterAll(async () => {
    await cluster?.dispose();
    await db?.drop();
    redis.disconnect();
  });

  it('another node takes the lease and the rollout goes on; no step is decided twice', async () => {
    db = await createTestDatabase();
    const prefix = uniquePrefix('rollout-crash');
    cluster = await spawnAppNodes(['node-1', 'node-2', 'node-3'], {
      databaseUrl: db.url,
      redisPrefix: prefix,
      env: {
        ROLLOUT_REPORT_INTERVAL: '100',
        ROLLOUT_ANALYSIS_INTERVAL: '100',
        ROLLOUT_LEASE_TTL: '1500',
      },
    });
    const { nodes } = cluster;
    const [first] = nodes;
    const settled = async (versionId: string) =>
      eventually(async () => {
        const v = await request(first.base, 'GET', `/modules/m/versions/${versionId}`);
        return ['active', 'ready'].includes(v.body.status) ? v.body : undefined;
      });
    const created = await request(first.base, 'POST', '/modules', { name: 'm', source: V1, tests: [] });
    await settled(created.body.versionId);
    const submitted = await request(first.base, 'POST', '/modules/m/versions', {
      source: V2,
      activate: false,
    });
    await settled(submitted.body.versionId);

    // observeOnly: each step is decided once its interval is over, with or without traffic
    const rollout = await request(first.base, 'POST', '/modules/m/rollouts', {
      versionId: submitted.body.versionId,
      steps: [10, 20, 30, 40, 50, 100],
      intervalMs: 1000,
      analysis: { observeOnly: true },
    });
    expect(rollout.status).toBe(201);
    const history = async (base: string) => (await request(base, 'GET', '/modules/m/rollouts')).body.items[0];
    await eventually(
      async () => ((await history(first.base)).decisions.length >= 1 ? true : undefined),
      20_000,
    );

    await redis.connect();
    const holder = (await redis.get(`${prefix}:rollout:analyser`))!.split('|')[0];
    const victim = nodes.find((n) => n.name === holder)!;
    const survivor = nodes.find((n) => n !== victim)!;
    await victim.app.stop('SIGKILL');

    const done = await eventually(
      async () => {
        const h = await history(survivor.base);
        return h.status === 'promoted' ? h : undefined;
      },
      30_000,
      'the rollout to be promoted by a surviving node',
    );
    const decisions = done.decisions as Array<{ step: number; action: string; actor: string }>;
    expect(decisions.map((d) => d.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(decisions.map((d) => d.action)).toEqual([
      'advance',
      'advance',
      'advance',
      'advance',
      'advance',
      'promote',
    ]);
    const deciders = new Set(decisions.map((d) => d.actor));
    expect(deciders.has(`node:${victim.name}`)).toBe(true);
    expect([...deciders].some((a) => a !== `node:${victim.name}`)).toBe(true);
    // The promotion is recorded, then activated: the switch follows the record.
    await eventually(
      async () =>
        (await request(survivor.base, 'GET', '/modules/m')).body.activeVersionId === submitted.body.versionId
          ? true
          : undefined,
      10_000,
      'the promoted version to be active',
    );
  }, 120_000);
});
