import { BUCKETS, keyBucket, routeCall } from './routing';

/** A seeded generator, so the split is checked on a fixed sequence, not on luck. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('routeCall', () => {
  it('sends nothing to a 0 % canary and everything to a 100 % one', () => {
    const random = lcg(1);
    for (let i = 0; i < 1000; i++) {
      expect(routeCall(0, 'r', undefined, random)).toBe('stable');
      expect(routeCall(100, 'r', `k${i}`, random)).toBe('canary');
    }
  });

  it('splits unkeyed calls by weight', () => {
    const random = lcg(42);
    let canary = 0;
    const calls = 20_000;
    for (let i = 0; i < calls; i++) if (routeCall(25, 'r', undefined, random) === 'canary') canary++;
    expect(Math.abs(canary / calls - 0.25)).toBeLessThan(0.02);
  });

  it('splits keys by weight', () => {
    let canary = 0;
    const keys = 20_000;
    for (let i = 0; i < keys; i++)
      if (routeCall(25, 'rollout-1', `user-${i}`, Math.random) === 'canary') canary++;
    expect(Math.abs(canary / keys - 0.25)).toBeLessThan(0.02);
  });

  it('keeps a key on its version as the weight rises, whatever the random source', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `caller-${i}`);
    const weights = [1, 5, 25, 50, 75, 99];
    for (const key of keys) {
      const sides = weights.map((w) => routeCall(w, 'rollout-7', key, () => 0.999));
      const first = sides.indexOf('canary');
      if (first !== -1) expect(sides.slice(first).every((s) => s === 'canary')).toBe(true);
    }
  });

  it('gives a key the same bucket on every call (every node computes the same hash)', () => {
    expect(keyBucket('r', 'alice')).toBe(keyBucket('r', 'alice'));
    expect(keyBucket('r', 'alice')).toBeGreaterThanOrEqual(0);
    expect(keyBucket('r', 'alice')).toBeLessThan(BUCKETS);
  });

  it('draws a different sample of keys for each rollout', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    const inA = keys.filter((k) => routeCall(10, 'rollout-a', k, Math.random) === 'canary');
    const inB = new Set(keys.filter((k) => routeCall(10, 'rollout-b', k, Math.random) === 'canary'));
    expect(inA.filter((k) => inB.has(k)).length).toBeLessThan(inA.length / 2);
  });
});
