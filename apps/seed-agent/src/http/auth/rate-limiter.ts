/** Past this many keys (client addresses are many), buckets that have refilled are forgotten. */
const PRUNE_AT = 10_000;

/**
 * Token buckets per key (one per API token). Pure apart from the map it keeps: the caller passes `now`.
 * Per node: behind a load balancer the cluster-wide rate is at most nodes × the configured rate.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private pruneAt = PRUNE_AT;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
  ) {}

  /** Takes one request from `key`'s bucket; when empty, says how many seconds until one is back. */
  take(key: string, now: number): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const ratePerMs = this.perMinute / 60_000;
    if (this.buckets.size >= this.pruneAt) this.prune(now, ratePerMs);
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * ratePerMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000)),
    };
  }

  /** A full bucket is what a new key gets anyway: dropping it changes nothing. */
  private prune(now: number, ratePerMs: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * ratePerMs >= this.burst) this.buckets.delete(key);
    }
    // Keys still refilling are live callers: sweep again only once they have doubled.
    this.pruneAt = Math.max(PRUNE_AT, this.buckets.size * 2);
  }
}
