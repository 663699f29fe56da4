import { describe, expect, it } from 'vitest';
import { sessionCookieSettings } from '../../src/sessions/session-cookie.ts';

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
