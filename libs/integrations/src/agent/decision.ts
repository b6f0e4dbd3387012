/** Pure: what a model call reported it cost, and the UTC day a daily limit counts in. */

const COST_KEYS = ['costUsd', 'cost_usd', 'totalCostUsd', 'total_cost_usd'];

/**
 * The cost a model reported for one call, in USD: providers put it in their own providerMetadata entry
 * under one of a few names (the CLIs report `costUsd`). Absent means 0: subscription CLIs and most HTTP
 * providers report tokens, not money.
 */
export function reportedCostUsd(providerMetadata: unknown): number {
  if (!providerMetadata || typeof providerMetadata !== 'object') return 0;
  let total = 0;
  for (const entry of Object.values(providerMetadata as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object') continue;
    for (const key of COST_KEYS) {
      const value = (entry as Record<string, unknown>)[key];
      if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
        total += value;
        break;
      }
    }
  }
  return total;
}

/** The UTC day a daily limit counts in. */
export function dayOf(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Seconds until the next UTC day, when a daily limit starts over (at least 1). */
export function secondsUntilNextDay(now: number): number {
  const day = 24 * 3600 * 1000;
  return Math.max(1, Math.ceil((Math.floor(now / day + 1) * day - now) / 1000));
}
