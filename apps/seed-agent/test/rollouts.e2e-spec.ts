import { settledVersion, startTestApp, TestApp } from './harness';

const V1 = 'export default (input: { n: number }) => input.n * 2;';
const V2 = 'export default (input: { n: number }) => input.n + input.n;';

describe('rollouts: records, routes, and how activations end them', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  /** A module with an active v1 and a ready (not activated) candidate. */
  async function moduleWithCandidate(name: string) {
    const created = await t.request('POST', '/modules', {
      name,
      source: V1,
      tests: [{ name: 'one', input: { n: 1 }, expect: 2 }],
    });
    expect(created.status).toBe(201);
    expect((await settledVersion(t, name, created.body.versionId)).status).toBe('active');
    const submitted = await t.request('POST', `/modules/${name}/versions`, { source: V2, activate: false });
    expect((await settledVersion(t, name, submitted.body.versionId)).status).toBe('ready');
    return { v1: created.body.versionId as string, v2: submitted.body.versionId as string };
  }

  it('starts with documented defaults, marks the version canary and refuses a second rollout', async () => {
    const { v1, v2 } = await moduleWithCandidate('ramp');
    const started = await t.request('POST', '/modules/ramp/rollouts', { versionId: v2 });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      versionId: v2,
      stableVersionId: v1,
      status: 'running',
      steps: [5, 25, 50, 100],
      step: 0,
      weight: 5,
      intervalMs: 60000,
      onInconclusive: 'pause',
      analysis: {
        minCalls: 100,
        maxErrorRateDelta: 0.05,
        maxLatencyRatio: 1.5,
        latencyFloorMs: 50,
        failureLimit: 2,
        minDistinctCallers: 2,
        observeOnly: false,
      },
    });
    expect((await t.request('GET', `/modules/ramp/versions/${v2}`)).body.status).toBe('canary');
    const again = await t.request('POST', '/modules/ramp/rollouts', { versionId: v2 });
    expect([again.status, again.body.error.code]).toEqual([409, 'rollout_in_progress']);
  });

  it('refuses contradictory or malformed settings with 400, and non-admins with 403', async () => {
    const { v1, v2 } = await moduleWithCandidate('refusals');
    const both = await t.request('POST', '/modules/refusals/rollouts', {
      versionId: v2,
      steps: [10, 100],
      stepWeight: 10,
    });
    expect(both.status).toBe(400);
    const down = await t.request('POST', '/modules/refusals/rollouts', { versionId: v2, steps: [50, 10] });
    expect([down.status, down.body.error.code]).toEqual([400, 'invalid_rollout']);
    const active = await t.request('POST', '/modules/refusals/rollouts', { versionId: v1 });
    expect([active.status, active.body.error.code]).toEqual([400, 'invalid_rollout']);
    const viewer = await t.request(
      'POST',
      '/modules/refusals/rollouts',
      { versionId: v2 },
      { role: 'viewer' },
    );
    expect(viewer.status).toBe(403);
    // v2 is an admin's version: an agent may roll out only its own candidates
    const agent = await t.request('POST', '/modules/refusals/rollouts', { versionId: v2 }, { role: 'agent' });
    expect([agent.status, agent.body.error.code]).toEqual([403, 'rollout_not_allowed']);
    const actions = ['promote', 'pause', 'resume', 'abort'];
    for (const action of actions) {
      const denied = await t.request(
        'POST',
        `/modules/refusals/rollouts/current/${action}`,
        {},
        { role: 'agent' },
      );
      expect(denied.status).toBe(403);
    }
    const none = await t.request('POST', '/modules/refusals/rollouts/current/promote');
    expect([none.status, none.body.error.code]).toEqual([409, 'no_rollout']);
  });

  it('pauses, resumes and aborts (stable stays at 100 %), recording each decision', async () => {
    const { v1, v2 } = await moduleWithCandidate('manual');
    await t.request('POST', '/modules/manual/rollouts', { versionId: v2, stepWeight: 20, maxWeight: 60 });
    expect((await t.request('POST', '/modules/manual/rollouts/current/pause')).body.status).toBe('paused');
    const repause = await t.request('POST', '/modules/manual/rollouts/current/pause');
    expect(repause.status).toBe(409);
    expect((await t.request('POST', '/modules/manual/rollouts/current/resume')).body.status).toBe('running');
    const aborted = await t.request('POST', '/modules/manual/rollouts/current/abort');
    expect(aborted.body).toMatchObject({ status: 'aborted', weight: 0 });
    expect((await t.request('GET', '/modules/manual')).body.activeVersionId).toBe(v1);
    expect((await t.request('GET', `/modules/manual/versions/${v2}`)).body.status).toBe('ready');
    const history = await t.request('GET', '/modules/manual/rollouts', undefined, { role: 'viewer' });
    expect(history.status).toBe(200);
    expect(history.body.items).toHaveLength(1);
    expect(history.body.items[0].steps).toEqual([20, 40, 60]);
    expect(history.body.items[0].decisions.map((d: { action: string }) => d.action)).toEqual([
      'pause',
      'resume',
      'abort',
    ]);
    expect(history.body.items[0].decisions[0]).toMatchObject({ seq: 1, verdict: null, reason: 'manual' });
  });

  it('lets an agent roll out its own candidate only where the module policy lets it go live', async () => {
    const { v1 } = await moduleWithCandidate('agentic');
    const own = await t.request(
      'POST',
      '/modules/agentic/versions',
      { source: 'export default (input: { n: number }) => 2 * input.n;', activate: false },
      { role: 'agent' },
    );
    expect((await settledVersion(t, 'agentic', own.body.versionId)).status).toBe('ready');
    await t.request('PATCH', '/modules/agentic', { requireApproval: true });
    const held = await t.request(
      'POST',
      '/modules/agentic/rollouts',
      { versionId: own.body.versionId },
      { role: 'agent' },
    );
    expect([held.status, held.body.error.code]).toEqual([403, 'rollout_not_allowed']);
    await t.request('PATCH', '/modules/agentic', { requireApproval: false });
    const started = await t.request(
      'POST',
      '/modules/agentic/rollouts',
      { versionId: own.body.versionId },
      { role: 'agent' },
    );
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ stableVersionId: v1, actor: expect.stringMatching(/^agent:/) });
  });

  it('promotes as an activation with reason rollout', async () => {
    const { v2 } = await moduleWithCandidate('promoted');
    await t.request('POST', '/modules/promoted/rollouts', { versionId: v2 });
    const promoted = await t.request('POST', '/modules/promoted/rollouts/current/promote');
    expect(promoted.body).toMatchObject({ status: 'promoted', weight: 100 });
    expect((await t.request('GET', '/modules/promoted')).body.activeVersionId).toBe(v2);
    const activations = await t.request('GET', '/modules/promoted/activations');
    expect(activations.body.items[0]).toMatchObject({ toVersionId: v2, reason: 'rollout' });
  });

  it('aborts a running rollout first when an admin activates or rolls back explicitly', async () => {
    const { v1, v2 } = await moduleWithCandidate('overridden');
    await t.request('POST', '/modules/overridden/rollouts', { versionId: v2 });
    const activated = await t.request('POST', '/modules/overridden/activate', { versionId: v2 });
    expect(activated.status).toBe(200);
    const [rollout] = (await t.request('GET', '/modules/overridden/rollouts')).body.items;
    expect(rollout.status).toBe('aborted');
    expect(rollout.decisions.at(-1)).toMatchObject({ action: 'abort', reason: 'activation:manual' });
    expect((await t.request('GET', `/modules/overridden/versions/${v2}`)).body.status).toBe('active');
    const rolledBack = await t.request('POST', '/modules/overridden/rollback');
    expect(rolledBack.body.activeVersionId).toBe(v1);
  });
});
