import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with Retry-After until the bucket refills', () => {
    const limiter = new RateLimiter(60, 3); // one per second, burst of three
    expect([1, 2, 3].map(() => limiter.take('a', 0).allowed)).toEqual([true, true, true]);
    expect(limiter.take('a', 0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('b', 0).allowed).toBe(true);
    expect(limiter.take('a', 1000).allowed).toBe(true);
    expect(limiter.take('a', 1000).allowed).toBe(false);
  });
});
