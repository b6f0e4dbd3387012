import {
  admissionRefusal,
  AttemptRecord,
  dayOf,
  LoopState,
  nextStep,
  reportedCostUsd,
  secondsUntilNextDay,
} from './decision';

const attempt = (n: number, status: AttemptRecord['status'], versionId: string | null = `v${n}`) => ({
  attempt: n,
  versionId,
  seq: versionId ? n + 1 : null,
  status,
  feedback: [],
  costUsd: 0,
});

const base: LoopState = {
  attempts: [],
  maxAttempts: 3,
  elapsedMs: 0,
  timeBudgetMs: 60_000,
  costUsd: 0,
  costBudgetUsd: 1,
  enabled: true,
};

describe('agent decisions', () => {
  it('makes the first attempt, then the next one after a rejection', () => {
    expect(nextStep(base)).toEqual({ action: 'attempt', attempt: 1 });
    expect(nextStep({ ...base, attempts: [attempt(1, 'rejected')] })).toEqual({
      action: 'attempt',
      attempt: 2,
    });
    expect(nextStep({ ...base, attempts: [attempt(1, 'duplicate', null)] })).toEqual({
      action: 'attempt',
      attempt: 2,
    });
  });

  it('finishes when a candidate went live or waits for approval', () => {
    expect(nextStep({ ...base, attempts: [attempt(1, 'rejected'), attempt(2, 'active')] })).toEqual({
      action: 'finish',
      outcome: 'improved',
      versionId: 'v2',
    });
    expect(nextStep({ ...base, attempts: [attempt(1, 'ready')] })).toMatchObject({ outcome: 'held' });
  });

  it('stops after maxAttempts, or when a budget or the switch says so', () => {
    const three = [attempt(1, 'rejected'), attempt(2, 'rejected'), attempt(3, 'superseded')];
    expect(nextStep({ ...base, attempts: three })).toEqual({
      action: 'finish',
      outcome: 'exhausted',
      versionId: 'v3',
    });
    expect(nextStep({ ...base, elapsedMs: 60_000 })).toMatchObject({ outcome: 'time_budget' });
    expect(nextStep({ ...base, costUsd: 1 })).toMatchObject({ outcome: 'cost_budget' });
    expect(nextStep({ ...base, costUsd: 5, costBudgetUsd: 0 })).toEqual({ action: 'attempt', attempt: 1 });
    expect(nextStep({ ...base, enabled: false })).toMatchObject({ outcome: 'disabled' });
  });

  it('refuses requests when the agent is off, off for the module, or asked for too many attempts', () => {
    const request = { agentEnabled: true, module: 'm', moduleAgentEnabled: undefined, maxAttempts: 3 };
    expect(admissionRefusal({ ...request, maxAttemptsAllowed: 3 })).toBeNull();
    expect(admissionRefusal({ ...request, agentEnabled: false, maxAttemptsAllowed: 3 })?.code).toBe(
      'agent_disabled',
    );
    expect(admissionRefusal({ ...request, moduleAgentEnabled: false, maxAttemptsAllowed: 3 })?.code).toBe(
      'agent_disabled_for_module',
    );
    expect(admissionRefusal({ ...request, maxAttemptsAllowed: 2 })?.code).toBe('invalid_request');
  });

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
