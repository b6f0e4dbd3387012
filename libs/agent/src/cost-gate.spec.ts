import { CostGate } from './cost-gate';

const gate = (overrides: Partial<ConstructorParameters<typeof CostGate>[0]> = {}) =>
  new CostGate({
    limitUsd: 0.25,
    what: "the run's cost budget",
    price: { input: 0, output: 1000 }, // $0.001 an output token
    maxOutputTokens: 100,
    largestCallUsd: null,
    ...overrides,
  });

describe('CostGate', () => {
  it('lets every call through without a cost limit', async () => {
    const grants = await Promise.all([1, 2, 3].map(() => gate({ limitUsd: null }).acquire('p')));
    expect(grants.every((g) => g && g.maxOutputTokens === undefined)).toBe(true);
  });

  it('keeps four concurrent priced calls that use all their output within a budget for two', async () => {
    const g = gate();
    const calls = Array.from({ length: 4 }, async () => {
      const grant = await g.acquire('prompt');
      if (!grant) return 0;
      await new Promise((resolve) => setTimeout(resolve, 1));
      const cost = grant.maxOutputTokens! * 0.001; // the whole allowance
      grant.release(cost, true);
      return cost;
    });
    const costs = await Promise.all(calls);
    // Two whole calls at once (four would have spent 0.4), then one at a time on what is left.
    expect(costs.slice(0, 2)).toEqual([0.1, 0.1]);
    expect(costs[2]).toBeLessThan(0.05);
    expect(g.total).toBeLessThanOrEqual(0.25);
  });

  it('settles a failed call to nothing, and learns nothing of an unpriced call from it', async () => {
    const g = gate({ price: null });
    const first = (await g.acquire('p'))!;
    let second = false;
    const next = g.acquire('p').then((grant) => ((second = true), grant));
    await Promise.resolve();
    expect(second).toBe(false); // the first unpriced call runs alone
    first.release(0, false);
    const alone = (await next)!;
    let third = false;
    void g.acquire('p').then(() => (third = true));
    await Promise.resolve();
    expect(third).toBe(false); // still nothing known: alone again
    alone.release(0.1, true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(third).toBe(true);
    expect(g.total).toBe(0.1);
  });
});
