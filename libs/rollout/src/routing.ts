/** Which side of a split serves a call. */
export type RouteSide = 'stable' | 'canary';

/** Weights are percent; buckets resolve them to hundredths of a point, so 0.25 % splits exactly. */
export const BUCKETS = 10_000;

/**
 * Pure: a stable bucket in 0..BUCKETS-1 for a `Seed-Version-Key`, the same on every node (FNV-1a over the
 * salt and the key; the salt is the rollout's id, so each rollout draws its own sample of keys).
 */
export function keyBucket(salt: string, key: string): number {
  let hash = 0x811c9dc5;
  const text = `${salt}\u0000${key}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  // the high bits of FNV mix best; fold before reducing
  hash ^= hash >>> 15;
  return (hash >>> 0) % BUCKETS;
}

/**
 * Pure: the side a call goes to at `weight` percent. A key's bucket is below the threshold or not, so a key on
 * the canary at one weight stays there at every higher weight. Without a key, `random()` (0 ≤ r < 1) decides.
 */
export function routeCall(
  weight: number,
  salt: string,
  key: string | undefined,
  random: () => number,
): RouteSide {
  if (weight <= 0) return 'stable';
  if (weight >= 100) return 'canary';
  const bucket = key === undefined ? Math.floor(random() * BUCKETS) : keyBucket(salt, key);
  return bucket < Math.round(weight * (BUCKETS / 100)) ? 'canary' : 'stable';
}
