import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from '@seed/config';

export const UI_SESSION_COOKIE = 'seed_ui';
export const UI_SESSION_SECONDS = 3600;

/**
 * A stateless session for the queue view: `name.expiry.mac`, the MAC keyed by the token's hash. Any node
 * with the same API_TOKENS accepts it, and removing the token ends its sessions.
 */
export function signSession(token: ApiToken, nowMs: number): string {
  const body = `${encodeURIComponent(token.name)}.${Math.floor(nowMs / 1000) + UI_SESSION_SECONDS}`;
  return `${body}.${mac(token, body)}`;
}

/** The admin token a session cookie value was signed with, when valid and unexpired. */
export function verifySession(
  value: string | undefined,
  tokensNamed: (name: string) => readonly ApiToken[],
  nowMs: number,
): ApiToken | undefined {
  const match = /^([^.]{1,200})\.(\d{1,12})\.([\w-]{43})$/.exec(value ?? '');
  if (!match || Number(match[2]) * 1000 <= nowMs) return undefined;
  const body = `${match[1]}.${match[2]}`;
  const given = Buffer.from(match[3]);
  let name: string;
  try {
    name = decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
  return tokensNamed(name).find(
    (token) => token.role === 'admin' && timingSafeEqual(given, Buffer.from(mac(token, body))),
  );
}

export function sessionCookie(value: string, secure: boolean): string {
  return [
    `${UI_SESSION_COOKIE}=${value}`,
    'Path=/ui/queues',
    `Max-Age=${UI_SESSION_SECONDS}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function mac(token: ApiToken, body: string): string {
  return createHmac('sha256', `ui-session:${token.sha256}`).update(body).digest('base64url');
}
