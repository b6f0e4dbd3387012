import { CodeStoreModule } from '@seed/code-store';
import { RolloutModule, RolloutRepository, TrafficRepository, type AnalysisSettings } from '@seed/rollout';
import { DataSource } from 'typeorm';
import { MediumContext, startMedium } from '../support/medium';

const ANALYSIS: AnalysisSettings = {
  minCalls: 1,
  maxErrorRateDelta: 0.05,
  maxLatencyRatio: 1.5,
  latencyFloorMs: 50,
  failureLimit: 2,
  minDistinctCallers: 2,
  observeOnly: false,
};

/** Rollout records on PostgreSQL and the analyser's lease and counts on Redis: no app, no HTTP. */
describe('rollout store, lease and counts', () => {
  let ctx: MediumContext;
  let rollouts: RolloutRepository;
  let traffic: TrafficRepository;

  beforeAll(async () => {
    ctx = await startMedium([CodeStoreModule, RolloutModule], { env: { ROLLOUT_REPORT_INTERVAL: '1000' } });
    rollouts = ctx.get(RolloutRepository);
    traffic = ctx.get(TrafficRepository);
  });
  afterAll(() => ctx?.close());

  /** A module with an active v1 and a ready v2, written as the pipeline leaves them. */
  async function moduleWithCandidate(name: string) {
    const ds = ctx.get(DataSource);
    const [{ id: moduleId }] = await ds.query(`INSERT INTO modules (name) VALUES ($1) RETURNING id`, [name]);
    const version = async (seq: number, status: string) =>
      (
        await ds.query(
          `INSERT INTO module_versions (module_id, seq, source, compiled, sha256, status, author, author_role)
           VALUES ($1, $2, 'export default () => 1;', 'x', $3, $4, 'admin:t', 'admin') RETURNING id`,
          [moduleId, seq, `${name}-${seq}`.padEnd(64, '0'), status],
        )
      )[0].id as string;
    const v1 = await version(1, 'active');
    const v2 = await version(2, 'ready');
    await ds.query(`UPDATE modules SET active_version_id = $1 WHERE id = $2`, [v1, moduleId]);
    return { moduleId: moduleId as string, v1, v2 };
  }

  const start = (moduleId: string, versionId: string) =>
    rollouts.start({
      moduleId,
      versionId,
      steps: [10, 50, 100],
      intervalMs: 1000,
      analysis: ANALYSIS,
      onInconclusive: 'pause',
      actor: 'admin:t',
    });

  const advance = {
    verdict: 'advance' as const,
    reason: 'healthy',
    action: 'advance' as const,
    actor: 'node:a',
  };

  it('decides a step once: a stale step, interval start or fencing token is refused', async () => {
    const { moduleId, v1, v2 } = await moduleWithCandidate('fenced');
    const rollout = await start(moduleId, v2);
    expect(rollout).toMatchObject({ status: 'running', stableVersionId: v1, step: 0, weight: 10 });
    const expected = { status: ['running'] as const, step: 0, stepStartedAt: rollout.stepStartedAt };

    const first = await rollouts.decide(rollout.id, { ...expected, fence: 5 }, advance, {
      step: 1,
      weight: 50,
      restartInterval: true,
    });
    expect(first?.rollout).toMatchObject({ step: 1, weight: 50, fence: '5' });
    expect(first?.decision).toMatchObject({ seq: 1, step: 0, weight: 10, verdict: 'advance' });
    // the same view of step 0 again (a second analyser, or a retry): nothing written
    expect(await rollouts.decide(rollout.id, { ...expected, fence: 6 }, advance, { step: 2 })).toBeNull();
    // step 1 from an older lease holder
    const now = first!.rollout;
    const step1 = { status: ['running'] as const, step: 1, stepStartedAt: now.stepStartedAt };
    expect(await rollouts.decide(rollout.id, { ...step1, fence: 4 }, advance, { step: 2 })).toBeNull();
    // a hold restarts the interval: the view from before it is stale
    const held = await rollouts.decide(
      rollout.id,
      { ...step1, fence: 5 },
      { ...advance, verdict: 'hold', action: 'hold' },
      { failures: 1, restartInterval: true },
    );
    expect(held?.rollout.failures).toBe(1);
    expect(await rollouts.decide(rollout.id, { ...step1, fence: 5 }, advance, { step: 2 })).toBeNull();
    const history = await rollouts.history(moduleId, 10, 0);
    expect(history.items[0].decisions.map((d) => d.seq)).toEqual([1, 2]);
  });

  it('allows one open rollout per module, and returns an ended canary to ready', async () => {
    const { moduleId, v2 } = await moduleWithCandidate('single');
    const rollout = await start(moduleId, v2);
    await expect(start(moduleId, v2)).rejects.toMatchObject({ code: 'rollout_in_progress' });
    const ds = ctx.get(DataSource);
    const status = async () =>
      (await ds.query(`SELECT status FROM module_versions WHERE id = $1`, [v2]))[0].status;
    expect(await status()).toBe('canary');
    await rollouts.decide(
      rollout.id,
      { status: ['running', 'paused'] },
      { verdict: null, reason: 'manual', action: 'abort', actor: 'admin:t' },
      { status: 'aborted', weight: 0 },
    );
    expect(await status()).toBe('ready');
    expect((await start(moduleId, v2)).status).toBe('running');
  });

  it('gives the lease to one node at a time, with a larger fencing token for each new holder', async () => {
    const a = await traffic.acquireLease('node-a', 60_000);
    expect(a).toBeGreaterThan(0);
    expect(await traffic.acquireLease('node-b', 60_000)).toBe(-1);
    expect(await traffic.acquireLease('node-a', 60_000)).toBe(a);
    expect(await traffic.leaseHolder()).toEqual({ node: 'node-a', token: a });
    await traffic.releaseLease('node-b');
    expect((await traffic.leaseHolder())?.node).toBe('node-a');
    await traffic.releaseLease('node-a');
    const b = await traffic.acquireLease('node-b', 60_000);
    expect(b).toBeGreaterThan(a);
    await traffic.releaseLease('node-b');
  });

  it('sums the nodes’ counts over a window, failing callers distinct across nodes', async () => {
    const slot = (ms: number) => Math.floor(ms / 1000);
    const base = 1_000_000_000_000;
    const counts = (caller: string, at: number) => ({
      module: 'm',
      versionId: 'v',
      slot: slot(at),
      calls: 10,
      faults: 2,
      latency: [10],
      failingCallers: new Set([caller]),
    });
    // two nodes, the same caller failing on both, plus another caller in the next slot
    await traffic.add([counts('alice', base)]);
    await traffic.add([counts('alice', base + 10)]);
    await traffic.add([counts('bob', base + 1000)]);
    const window = await traffic.window('m', 'v', base, base + 2000);
    expect(window).toMatchObject({ calls: 30, faults: 6, failingCallers: 2 });
    expect(window.latency[0]).toBe(30);
    const slots = await traffic.slots('m', 'v', base, base + 2000);
    expect(slots.map((s) => [s.startMs, s.calls, s.failingCallers])).toEqual([
      [base, 20, 1],
      [base + 1000, 10, 1],
    ]);
  });
  it('finds a promotion recorded but never activated, and not one a later switch overrode', async () => {
    const ds = ctx.get(DataSource);
    const promoted = async (name: string) => {
      const { moduleId, v1, v2 } = await moduleWithCandidate(name);
      const rollout = await start(moduleId, v2);
      // as the decider leaves it when it dies between the record and the activation
      await ds.query(
        `UPDATE rollouts SET status = 'promoted', weight = 100, ended_at = clock_timestamp() WHERE id = $1`,
        [rollout.id],
      );
      return { moduleId, v1, v2 };
    };
    const stranded = await promoted('stranded');
    const overridden = await promoted('overridden');
    await ds.query(
      `INSERT INTO activations (module_id, from_version_id, to_version_id, reason, actor)
       VALUES ($1, $2, $2, 'manual', 'admin:t')`,
      [overridden.moduleId, overridden.v1],
    );
    const found = (await rollouts.unappliedPromotions()).filter((p) =>
      ['stranded', 'overridden'].includes(p.module),
    );
    expect(found).toEqual([{ module: 'stranded', versionId: stranded.v2 }]);
  });
});
