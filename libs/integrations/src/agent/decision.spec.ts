import { dayOf, reportedCostUsd, secondsUntilNextDay } from './decision';

describe('agent decisions', () => {
  it('reads the cost a provider reported, under any of its usual names, and 0 when absent', () => {
    expect(reportedCostUsd(undefined)).toBe(0);
    expect(reportedCostUsd({ anthropic: { usage: { input: 3 } } })).toBe(0);
    expect(reportedCostUsd({ 'claude-cli': { costUsd: 0.25 } })).toBe(0.25);
    expect(reportedCostUsd({ a: { total_cost_usd: 0.5 }, b: { cost_usd: 0.25, costUsd: 9 } })).toBe(9.5);
    expect(reportedCostUsd({ a: { costUsd: 'free' } })).toBe(0);
  });

  it('counts days in UTC', () => {
    expect(dayOf(Date.UTC(2026, 0, 2, 23, 59))).toBe('2026-01-02');
    expect(secondsUntilNextDay(Date.UTC(2026, 0, 2, 23, 59))).toBe(60);
    expect(secondsUntilNextDay(Date.UTC(2026, 0, 3))).toBe(24 * 3600);
  });
});
