import { jobLost, STALE_AFTER_MS } from './stale-runs';

describe('jobLost', () => {
  const old = STALE_AFTER_MS;
  it('calls a run lost when its job is gone or ended while the run runs', () => {
    for (const jobState of ['missing', 'failed', 'completed'] as const)
      expect(jobLost({ jobState, ageMs: old })).toBe(true);
  });
  it('leaves a run whose job will run or runs, however old', () => {
    for (const jobState of ['waiting', 'active', 'delayed', 'prioritized'] as const)
      expect(jobLost({ jobState, ageMs: 10 * old })).toBe(false);
  });
  it('leaves a run just started: its job may be being added', () => {
    expect(jobLost({ jobState: 'missing', ageMs: old - 1 })).toBe(false);
  });
});
