import { MAX_PREFER_WAIT_SECONDS, preferredWaitSeconds, waitBudgetMs } from './prefer-wait';

describe('Prefer: wait', () => {
  it('reads wait=<seconds> among other preferences, capped, and ignores what it cannot read', () => {
    expect(preferredWaitSeconds('wait=10')).toBe(10);
    expect(preferredWaitSeconds('respond-async, wait=3')).toBe(3);
    expect(preferredWaitSeconds(['return=minimal', 'WAIT = "7"'])).toBe(7);
    expect(preferredWaitSeconds('wait=0')).toBe(0);
    expect(preferredWaitSeconds('wait=3600')).toBe(MAX_PREFER_WAIT_SECONDS);
    for (const ignored of [
      undefined,
      '',
      'respond-async',
      'wait=',
      'wait=-1',
      'wait=1.5',
      'wait=abc',
      'nowait=3',
    ])
      expect(preferredWaitSeconds(ignored)).toBeUndefined();
  });

  it('never waits past the request timeout, less a margin for the answer', () => {
    expect(waitBudgetMs(20, 30_000)).toBe(20_000);
    expect(waitBudgetMs(25, 10_000)).toBe(9_000);
    expect(waitBudgetMs(5, 400)).toBe(300);
    expect(waitBudgetMs(0, 30_000)).toBe(0);
  });
});
