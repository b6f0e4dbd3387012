import { timingSafeEqual } from 'node:crypto';
import type { ApiToken, Role } from '@seed/config';
import { hashSecret } from '@seed/config';

/** A token the authentication hook knows: from API_TOKENS (bootstrap) or created at runtime (api_tokens). */
export interface KnownToken {
  readonly name: string;
  readonly role: Role;
  readonly sha256: string;
  /** The modules it may invoke; absent or null: any. */
  readonly modules?: readonly string[] | null;
  /** Epoch ms past which it no longer authenticates. */
  readonly expiresAtMs?: number | null;
  readonly runtime?: boolean;
}

/** A runtime token's last use is written at most this often per node. */
export const LAST_USE_WRITE_MS = 60_000;

/**
 * Looks a bearer secret up: among the bootstrap tokens comparing hashes in constant time, then among the
 * runtime tokens by hash (a map of what PostgreSQL holds, kept by RuntimeTokens). No query per request.
 */
export class TokenRegistry {
  private runtime = new Map<string, KnownToken>();
  private generation = 0;
  private readonly lastUseWritten = new Map<string, number>();
  /** Set by RuntimeTokens: writes a runtime token's last use. */
  recordUse?: (name: string) => void;

  /** The bootstrap tokens' hashes as bytes, decoded once. */
  private readonly bootstrapHashes: readonly Buffer[];

  constructor(private readonly bootstrap: readonly ApiToken[]) {
    this.bootstrapHashes = bootstrap.map((token) => Buffer.from(token.sha256, 'hex'));
  }

  find(secret: string): KnownToken | undefined {
    if (!secret) return undefined;
    const hash = hashSecret(secret);
    const given = Buffer.from(hash, 'hex');
    let found: KnownToken | undefined;
    // Compare against every token so timing does not reveal which one (or whether any) matched.
    for (const [i, expected] of this.bootstrapHashes.entries()) {
      if (timingSafeEqual(given, expected) && !found) found = this.bootstrap[i];
    }
    return found ?? this.runtime.get(hash);
  }

  isBootstrapName(name: string): boolean {
    return this.bootstrap.some((token) => token.name === name);
  }

  bootstrapTokens(): readonly ApiToken[] {
    return this.bootstrap;
  }

  /** Where a reload starts: its result is stale if a token was revoked meanwhile. */
  snapshot(): number {
    return this.generation;
  }

  /** Replaces the runtime tokens with a load that started at `snapshot`; false when a revocation came since. */
  replaceRuntime(tokens: readonly KnownToken[], snapshot: number): boolean {
    if (snapshot !== this.generation) return false;
    this.runtime = new Map(tokens.map((token) => [token.sha256, { ...token, runtime: true }]));
    return true;
  }

  /** A revoked token stops authenticating at once, before the reload that confirms it. */
  forget(name: string): void {
    this.generation++;
    for (const [hash, token] of this.runtime) if (token.name === name) this.runtime.delete(hash);
    this.lastUseWritten.delete(name);
  }

  /** Notes an authenticated use; a runtime token's is recorded when the last record is a minute old. */
  used(token: KnownToken, now: number): void {
    if (!token.runtime || !this.recordUse) return;
    const last = this.lastUseWritten.get(token.name);
    if (last !== undefined && now - last < LAST_USE_WRITE_MS) return;
    this.lastUseWritten.set(token.name, now);
    this.recordUse(token.name);
  }

  /** Live tokens by name (the console's session cookie names its token, never carries its secret). */
  named(name: string, now = Date.now()): Array<ApiToken | KnownToken> {
    const live = (token: ApiToken | KnownToken) =>
      !('expiresAtMs' in token) || token.expiresAtMs == null || token.expiresAtMs > now;
    return [...this.bootstrap, ...this.runtime.values()].filter((t) => t.name === name && live(t));
  }
}

export function bearerSecret(header: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : '';
}
