import { randomBytes } from 'node:crypto';

/** A fresh random placeholder per granted secret, per invocation: module code sees only these, never a value. */
export function secretHandles(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => [name, `seed-secret-${randomBytes(18).toString('base64url')}`]),
  );
}
