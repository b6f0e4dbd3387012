import { adminActivation, canaryPolicy, watchPlan } from './canary';

const policy = { enabled: true, windowMs: 60_000, minCalls: 10, threshold: 0.2, minDistinctCallers: 2 };

describe('canary settings', () => {
  it('lets module settings override the defaults', () => {
    expect(canaryPolicy(policy, { canary: { minCalls: 3 } })).toEqual({
      ...policy,
      minCalls: 3,
      rollbackAdminActivations: true,
    });
  });

  it('map onto the analysis of a watch at weight 100', () => {
    expect(watchPlan(policy, {}, 'gates', 'agent')).toEqual({
      intervalMs: 60_000,
      analysis: {
        minCalls: 10,
        maxErrorRateDelta: 0.2,
        maxLatencyRatio: 1.5,
        latencyFloorMs: 50,
        failureLimit: 1,
        minDistinctCallers: 2,
        observeOnly: false,
      },
    });
  });

  it("observe an admin's activation only, when the module says so", () => {
    const settings = { canary: { rollbackAdminActivations: false } };
    expect(watchPlan(policy, settings, 'manual', 'admin')?.analysis.observeOnly).toBe(true);
    expect(watchPlan(policy, settings, 'gates', 'agent')?.analysis.observeOnly).toBe(false);
    expect(watchPlan(policy, {}, 'manual', 'admin')?.analysis.observeOnly).toBe(false);
  });

  it("do not watch a disabled module or the watch's own rollback", () => {
    expect(watchPlan(policy, { canary: { enabled: false } }, 'gates', 'agent')).toBeNull();
    expect(watchPlan(policy, {}, 'canary', 'agent')).toBeNull();
  });

  it("tell an admin's activation from the gates' activation of an agent's version", () => {
    expect(adminActivation('manual', 'agent')).toBe(true);
    expect(adminActivation('gates', 'admin')).toBe(true);
    expect(adminActivation('gates', 'agent')).toBe(false);
    expect(adminActivation('canary', 'admin')).toBe(false);
  });
});
