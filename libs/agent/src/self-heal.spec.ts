import { observe, selfHealRequest, selfHealVerdict } from './self-heal';

const policy = { enabled: true, windowMs: 10_000, minCalls: 4, threshold: 0.5, cooldownMs: 60_000 };

describe('self-healing', () => {
  it('counts calls in a tumbling window', () => {
    let stats = observe(undefined, true, 1000, policy.windowMs);
    stats = observe(stats, false, 2000, policy.windowMs);
    expect(stats).toEqual({ calls: 2, failures: 1, since: 1000 });
    expect(observe(stats, true, 11_000, policy.windowMs)).toEqual({ calls: 1, failures: 1, since: 11_000 });
  });

  it('schedules past the threshold with enough calls, and not within the cooldown', () => {
    const verdict = (calls: number, failures: number, lastScheduledAt?: number, enabled = true) =>
      selfHealVerdict({
        stats: { calls, failures },
        policy: { ...policy, enabled },
        now: 100_000,
        lastScheduledAt,
      });
    expect(verdict(3, 3)).toBe('wait');
    expect(verdict(4, 2)).toBe('healthy');
    expect(verdict(4, 3)).toBe('schedule');
    expect(verdict(4, 3, 50_000)).toBe('cooldown');
    expect(verdict(4, 3, 40_000)).toBe('schedule');
    expect(verdict(4, 4, undefined, false)).toBe('off');
  });

  it('asks for the failing inputs as must-not-throw cases, once each, skipping what it cannot replay', () => {
    const error = (input: unknown) => ({
      versionId: 'v',
      input,
      code: 'runtime_error',
      message: 'boom',
      at: '',
    });
    const { goal, tests } = selfHealRequest({
      module: 'parse',
      stats: { calls: 10, failures: 6 },
      windowMs: 60_000,
      errors: [
        error({ text: 'a' }),
        error({ text: 'a' }),
        error({ text: 'b' }),
        { ...error(undefined), inputPreview: '{' },
      ],
      existingCaseNames: new Set(),
    });
    expect(goal).toContain('failed on 6 of its last 10 calls (60% within 60 s; runtime_error)');
    expect(tests).toHaveLength(2);
    expect(tests[0]).toEqual({
      name: expect.stringMatching(/^self-heal-[0-9a-f]{12}$/),
      input: { text: 'a' },
      hasExpected: false,
    });
    const again = selfHealRequest({
      module: 'parse',
      stats: { calls: 10, failures: 6 },
      windowMs: 60_000,
      errors: [error({ text: 'a' })],
      existingCaseNames: new Set([tests[0].name]),
    });
    expect(again.tests).toEqual([]);
  });
});
