import { canaryPolicy, canaryVerdict } from './canary';

const policy = { enabled: true, windowMs: 60_000, minCalls: 10, threshold: 0.2 };

describe('canary', () => {
  it('waits for enough calls', () => {
    expect(canaryVerdict({ calls: 9, failures: 9 }, { calls: 100, failures: 0 }, policy)).toBe('wait');
  });
  it('rolls back when the error rate jumps past the predecessor plus the threshold', () => {
    expect(canaryVerdict({ calls: 10, failures: 3 }, { calls: 100, failures: 0 }, policy)).toBe('rollback');
    expect(canaryVerdict({ calls: 10, failures: 2 }, { calls: 100, failures: 0 }, policy)).toBe('healthy');
  });
  it('compares with the predecessor, not with zero', () => {
    expect(canaryVerdict({ calls: 10, failures: 5 }, { calls: 100, failures: 40 }, policy)).toBe('healthy');
  });
  it('treats a predecessor without enough calls as error-free', () => {
    expect(canaryVerdict({ calls: 10, failures: 3 }, { calls: 2, failures: 2 }, policy)).toBe('rollback');
  });
  it('lets module settings override the defaults', () => {
    expect(canaryPolicy(policy, { canary: { minCalls: 3 } })).toEqual({ ...policy, minCalls: 3 });
  });
});
