import { adminActivation, canaryPolicy, canaryVerdict } from './canary';

const policy = { enabled: true, windowMs: 60_000, minCalls: 10, threshold: 0.2, minDistinctCallers: 2 };

describe('canary', () => {
  it('waits for enough calls', () => {
    expect(canaryVerdict({ calls: 9, failures: 9 }, { calls: 100, failures: 0 }, policy, 2)).toBe('wait');
  });
  it('rolls back when the error rate jumps past the predecessor plus the threshold', () => {
    expect(canaryVerdict({ calls: 10, failures: 3 }, { calls: 100, failures: 0 }, policy, 2)).toBe(
      'rollback',
    );
    expect(canaryVerdict({ calls: 10, failures: 2 }, { calls: 100, failures: 0 }, policy, 2)).toBe('healthy');
  });
  it('compares with the predecessor, not with zero', () => {
    expect(canaryVerdict({ calls: 10, failures: 5 }, { calls: 100, failures: 40 }, policy, 2)).toBe(
      'healthy',
    );
  });
  it('treats a predecessor without enough calls as error-free', () => {
    expect(canaryVerdict({ calls: 10, failures: 3 }, { calls: 2, failures: 2 }, policy, 2)).toBe('rollback');
  });
  it('lets module settings override the defaults', () => {
    expect(canaryPolicy(policy, { canary: { minCalls: 3 } })).toEqual({
      ...policy,
      minCalls: 3,
      rollbackAdminActivations: true,
    });
  });
  it('waits while the failures come from fewer distinct callers than required', () => {
    expect(canaryVerdict({ calls: 21, failures: 21 }, { calls: 100, failures: 0 }, policy, 1)).toBe('wait');
    expect(canaryVerdict({ calls: 21, failures: 21 }, { calls: 100, failures: 0 }, policy, 2)).toBe(
      'rollback',
    );
  });
  it("tells an admin's activation from the gates' activation of an agent's version", () => {
    expect(adminActivation('manual', 'agent')).toBe(true);
    expect(adminActivation('gates', 'admin')).toBe(true);
    expect(adminActivation('gates', 'agent')).toBe(false);
    expect(adminActivation('canary', 'admin')).toBe(false);
  });
});
