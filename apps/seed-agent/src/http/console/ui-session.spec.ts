import { hashSecret, type ApiToken } from '@seed/config';
import { readCookie, sessionCookie, signSession, UI_SESSION_SECONDS, verifySession } from './ui-session';

const admin: ApiToken = { name: 'ops', role: 'admin', sha256: hashSecret('admin-secret') };
const viewer: ApiToken = { name: 'ops', role: 'viewer', sha256: hashSecret('viewer-secret') };
const named = (tokens: ApiToken[]) => (name: string) => tokens.filter((t) => t.name === name);
const NOW = Date.UTC(2026, 11, 1);

describe('console session cookie', () => {
  it('is accepted until it expires, by the token that signed it', () => {
    const value = signSession(admin, NOW);
    expect(verifySession(value, named([admin]), NOW)).toBe(admin);
    expect(verifySession(value, named([admin]), NOW + UI_SESSION_SECONDS * 1000 - 1)).toBe(admin);
    expect(verifySession(value, named([admin]), NOW + UI_SESSION_SECONDS * 1000)).toBeUndefined();
  });

  it('refuses a forged, re-dated or foreign value, and one whose token is gone or not admin', () => {
    const value = signSession(admin, NOW);
    const [name, expiry, mac] = value.split('.');
    expect(verifySession(`${name}.${Number(expiry) + 3600}.${mac}`, named([admin]), NOW)).toBeUndefined();
    expect(verifySession(`${name}.${expiry}.${'A'.repeat(43)}`, named([admin]), NOW)).toBeUndefined();
    expect(verifySession(value, named([]), NOW)).toBeUndefined();
    expect(verifySession(signSession(viewer, NOW), named([viewer]), NOW)).toBeUndefined();
    expect(verifySession(undefined, named([admin]), NOW)).toBeUndefined();
    expect(verifySession('%E0%A4%A.1.x', named([admin]), NOW)).toBeUndefined();
  });

  it('is HttpOnly, SameSite=Strict and scoped to the queue view', () => {
    const cookie = sessionCookie('v', true);
    expect(cookie).toBe(
      `seed_ui=v; Path=/ui/queues; Max-Age=${UI_SESSION_SECONDS}; HttpOnly; SameSite=Strict; Secure`,
    );
    expect(readCookie('a=1; seed_ui=abc.1.x=; b=2', 'seed_ui')).toBe('abc.1.x=');
  });
});
