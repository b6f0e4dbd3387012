import { callCostUsd, type RunState, stopReason } from './budget.js';
import { normalisedHash } from './normalise.js';

const usage = { inputTokens: 1_000_000, outputTokens: 500_000 };

describe('callCostUsd', () => {
  it('takes the reported cost first, then the price table, else 0', () => {
    const prices = { 'openai:gpt-x': { input: 2, output: 8 } };
    expect(callCostUsd({ model: 'openai:gpt-x', usage, reportedUsd: 0.5, prices })).toBe(0.5);
    expect(callCostUsd({ model: 'openai:gpt-x', usage, reportedUsd: 0, prices })).toBe(6);
    expect(callCostUsd({ model: 'claude-cli:sonnet', usage, reportedUsd: 0, prices })).toBe(0);
  });
});

describe('stopReason', () => {
  const base: RunState = {
    roundsDone: 1,
    rounds: 3,
    tokens: 0,
    costUsd: 0,
    elapsedMs: 0,
    budget: { maxTokens: 1000, maxCostUsd: 1, maxMs: 60_000 },
    moduleCostTodayUsd: 0,
    moduleDailyCostUsd: 0,
    solved: false,
    roundsWithoutProgress: 0,
    patience: 2,
    cancelled: false,
    enabled: true,
  };

  it('runs another round while nothing stops it', () => expect(stopReason(base)).toBeNull());
  it('stops on each budget, the module daily one included', () => {
    expect(stopReason({ ...base, tokens: 1000 })).toBe('budget');
    expect(stopReason({ ...base, tokens: 990, budgetExhausted: true })).toBe('budget');
    // The cost gate refused a call: the run stops though no token budget was set.
    expect(stopReason({ ...base, budget: { ...base.budget, maxTokens: 0 }, budgetExhausted: true })).toBe(
      'budget',
    );
    expect(stopReason({ ...base, costUsd: 1 })).toBe('budget');
    expect(stopReason({ ...base, elapsedMs: 60_000 })).toBe('budget');
    expect(stopReason({ ...base, moduleCostTodayUsd: 5, moduleDailyCostUsd: 5 })).toBe('budget');
  });
  it('stops when solved, out of rounds, or without progress', () => {
    expect(stopReason({ ...base, solved: true })).toBe('solved');
    expect(stopReason({ ...base, roundsDone: 3 })).toBe('rounds');
    expect(stopReason({ ...base, roundsWithoutProgress: 2 })).toBe('no_progress');
  });
  it('lets cancellation and the switch win over everything', () => {
    expect(stopReason({ ...base, solved: true, cancelled: true })).toBe('cancelled');
    expect(stopReason({ ...base, tokens: 5000, enabled: false })).toBe('disabled');
  });
});

describe('normalisedHash', () => {
  it('equates sources that differ only in comments, formatting and types', async () => {
    const a = await normalisedHash('export default (x: number) => {\n  // add one\n  return x + 1;\n};\n');
    const b = await normalisedHash('export default (x) => { return x + 1 }');
    const c = await normalisedHash('export default (x) => { return x + 2 }');
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});
