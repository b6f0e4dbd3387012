import { timingSafeEqual } from 'node:crypto';
import type { ApiToken } from '@seed/config';
import { hashSecret } from '@seed/config';

/** Looks a bearer secret up among the configured tokens, comparing hashes in constant time. */
export class TokenRegistry {
  private readonly hashes: ReadonlyArray<{ token: ApiToken; sha256: Buffer }>;
  /**
   * Secrets already found, so a caller's every request is a map lookup, not a hash. Only valid ones: the
   * set is bounded by the tokens (a guess misses, is hashed, and spends its address's rate limit).
   */
  private readonly known = new Map<string, ApiToken>();

  constructor(tokens: readonly ApiToken[]) {
    this.hashes = tokens.map((token) => ({ token, sha256: Buffer.from(token.sha256, 'hex') }));
  }

  find(secret: string): ApiToken | undefined {
    if (!secret) return undefined;
    const known = this.known.get(secret);
    if (known) return known;
    const given = Buffer.from(hashSecret(secret), 'hex');
    let found: ApiToken | undefined;
    // Compare against every token so timing does not reveal which one (or whether any) matched.
    for (const { token, sha256 } of this.hashes) {
      if (timingSafeEqual(given, sha256) && !found) found = token;
    }
    if (found) this.known.set(secret, found);
    return found;
  }
}

export function bearerSecret(header: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : '';
}
