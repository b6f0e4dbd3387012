import { TokenGate } from './token-gate';

const usage = (tokens: number, inputTokens = tokens / 2) => ({
  inputTokens,
  outputTokens: tokens - inputTokens,
});

describe('TokenGate', () => {
  it('lets every call through at once without a token budget', async () => {
    const gate = new TokenGate(0, 0, null);
    const grants = await Promise.all([gate.acquire(), gate.acquire(), gate.acquire()]);
    expect(grants.every((g) => g && g.maxOutputTokens === undefined)).toBe(true);
  });

  it('runs the first call alone, then as many at once as the free budget covers', async () => {
    const gate = new TokenGate(100, 0, null);
    const first = (await gate.acquire())!;
    expect(first.maxOutputTokens).toBe(100); // nothing known yet: its output may use what is free
    let second = false;
    const waiting = gate.acquire().then((g) => ((second = true), g));
    await Promise.resolve();
    expect(second).toBe(false);
    first.release(usage(30));
    const [a, b] = [await waiting, await gate.acquire()];
    expect([a!.maxOutputTokens, b!.maxOutputTokens]).toEqual([undefined, undefined]); // 70 free: two of 30
    let third = false;
    const tight = gate.acquire().then((g) => ((third = true), g));
    await Promise.resolve();
    expect(third).toBe(false); // 10 free: waits until it runs alone
    a!.release(usage(25, 5));
    b!.release(usage(25, 5));
    const last = (await tight)!;
    expect(last.maxOutputTokens).toBe(5); // 20 free, less than a call of 30: its output gets what its input leaves
    last.release(usage(30));
    expect(await gate.acquire()).toBeNull();
    expect(gate.total).toBe(110);
  });

  it('keeps the total within the budget plus one call when each reports more than expected', async () => {
    const gate = new TokenGate(40, 0, null);
    const calls = Array.from({ length: 4 }, async () => {
      const grant = await gate.acquire();
      if (!grant) return 0;
      await new Promise((resolve) => setTimeout(resolve, 1));
      grant.release(usage(30, 5)); // whatever its cap, it reports 30
      return 30;
    });
    // Four at once would have spent 120; the second call ran alone on the 10 left, and then nothing was.
    expect((await Promise.all(calls)).filter((n) => n > 0)).toHaveLength(2);
    expect(gate.total).toBe(60);
  });

  it('starts from what the run spent, and makes no call when what is left would not hold its prompt', async () => {
    const gate = new TokenGate(100, 70, { tokens: 30, inputTokens: 20 });
    const grant = (await gate.acquire())!;
    expect(grant.maxOutputTokens).toBeUndefined(); // 30 free: a whole call
    grant.release(usage(0, 0)); // it failed: nothing spent, nothing learnt
    expect(gate.total).toBe(70);
    expect(await new TokenGate(100, 80, { tokens: 30, inputTokens: 20 }).acquire()).toBeNull();
  });
});
