import { hash } from 'node:crypto';

export const ROLES = ['admin', 'agent', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** A configured token: only its sha256 is kept in memory, whether it was given in clear or hashed. */
export interface ApiToken {
  readonly name: string;
  readonly role: Role;
  readonly sha256: string;
}

export function hashSecret(secret: string): string {
  // one-shot: no Hash object per call (the authentication hook hashes every request's bearer secret)
  return hash('sha256', secret, 'hex');
}

/**
 * Pure: `name:role:secret` or `name:role:sha256:<hex>`, comma-separated. Several tokens per role let
 * operators rotate them. Returns the tokens, or the problems found (every entry is checked).
 */
export function parseApiTokens(text: string | undefined): { tokens: ApiToken[]; problems: string[] } {
  const tokens: ApiToken[] = [];
  const problems: string[] = [];
  if (!text) return { tokens, problems };
  const names = new Set<string>();
  for (const [index, raw] of text.split(',').entries()) {
    const entry = raw.trim();
    if (!entry) continue;
    const parts = entry.split(':');
    const where = `entry ${index + 1}`;
    const [name, role] = parts;
    if (parts.length !== 3 && !(parts.length === 4 && parts[2] === 'sha256')) {
      problems.push(`${where}: expected name:role:secret or name:role:sha256:<hex>`);
      continue;
    }
    if (!/^[\w.-]{1,64}$/.test(name)) problems.push(`${where}: name must be 1-64 letters, digits, _ . -`);
    if (!ROLES.includes(role as Role)) problems.push(`${where}: role must be one of ${ROLES.join(', ')}`);
    if (names.has(name)) problems.push(`${where}: duplicate token name ${name}`);
    names.add(name);
    let sha256: string;
    if (parts.length === 4) {
      sha256 = parts[3].toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(sha256)) problems.push(`${where}: sha256 must be 64 hex digits`);
    } else {
      if (parts[2].length < 16) problems.push(`${where}: secret must be at least 16 characters`);
      sha256 = hashSecret(parts[2]);
    }
    tokens.push({ name, role: role as Role, sha256 });
  }
  return { tokens, problems };
}
