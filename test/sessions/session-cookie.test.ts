import { describe, expect, it } from 'vitest';
import { sessionCookieAttributes, sessionCookieSettings } from '../../src/sessions/session-cookie.ts';

describe('sessionCookieSettings', () => {
  it('uses a __Host- Secure cookie when the public URL is https', () => {
    expect(sessionCookieSettings('https://elevate.contoso.com', false)).toEqual({ name: '__Host-elevate.sid', secure: true });
  });

  it('lets the request decide behind a trusted proxy on an http public URL', () => {
    expect(sessionCookieSettings('http://elevate.internal:3000', true)).toEqual({ name: 'elevate.sid', secure: 'auto' });
  });

  it('is not Secure for a plain-http local service (the sandbox)', () => {
    expect(sessionCookieSettings('http://127.0.0.1:3000', false)).toEqual({ name: 'elevate.sid', secure: false });
  });
});

describe('sessionCookieAttributes', () => {
  it('sets (and so clears) the cookie HttpOnly, SameSite=Lax, on every path, Secure as the settings say', () => {
    expect(sessionCookieAttributes(sessionCookieSettings('https://elevate.contoso.com', false))).toEqual({ httpOnly: true, sameSite: 'lax', secure: true, path: '/' });
    expect(sessionCookieAttributes(sessionCookieSettings('http://elevate.internal:3000', true)).secure).toBe('auto');
  });
});
