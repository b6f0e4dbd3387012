import { timingSafeEqual } from 'node:crypto';
import type { ApiToken } from '@seed/config';
import { hashSecret } from '@seed/config';

/** Looks a bearer secret up among the configured tokens, comparing hashes in constant time. */
export class TokenRegistry {
  constructor(private readonly tokens: readonly ApiToken[]) {}

  find(secret: string): ApiToken | undefined {
    if (!secret) return undefined;
    const given = Buffer.from(hashSecret(secret), 'hex');
    let found: ApiToken | undefined;
    // Compare against every token so timing does not reveal which one (or whether any) matched.
    for (const token of this.tokens) {
      if (timingSafeEqual(given, Buffer.from(token.sha256, 'hex')) && !found) found = token;
    }
    return found;
  }

  /** Tokens by name (the console's session cookie names its token, never carries its secret). */
  named(name: string): ApiToken[] {
    return this.tokens.filter((token) => token.name === name);
  }
}

export function bearerSecret(header: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : '';
}
