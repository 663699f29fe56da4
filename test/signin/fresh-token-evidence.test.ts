import { describe, expect, it } from 'vitest';
import { ENTRA_IAT_BACKDATE_SECONDS } from '../../src/signin/authentication-evidence.ts';
import { freshTokenEvidence } from '../../src/signin/fresh-token-evidence.ts';

const startedAt = 1_800_000_000;
const now = startedAt + 30;

describe('freshTokenEvidence (the CLI elevation rule)', () => {
  it('without auth_time: a token minted inside the attempt counts as authenticated at the attempt start', () => {
    expect(freshTokenEvidence({ authTime: undefined, issuedAt: startedAt + 10, startedAt, nowSeconds: now })).toEqual({ authenticatedAt: startedAt, duringAttempt: true, source: 'token_iat' });
  });

  it("takes Entra's iat as it is stamped, five minutes before the token was minted, with or without auth_time", () => {
    const minted = startedAt + 10;
    const iat = minted - ENTRA_IAT_BACKDATE_SECONDS;
    expect(freshTokenEvidence({ authTime: undefined, issuedAt: iat, startedAt, nowSeconds: now })).toEqual({ authenticatedAt: startedAt, duringAttempt: true, source: 'token_iat' });
    expect(freshTokenEvidence({ authTime: minted, issuedAt: iat, startedAt, nowSeconds: now })).toEqual({ authenticatedAt: minted, duringAttempt: true, source: 'auth_time' });
  });

  it('without auth_time: a token minted before the attempt (beyond the backdating and the clock allowance) proves nothing', () => {
    expect(freshTokenEvidence({ authTime: undefined, issuedAt: startedAt - ENTRA_IAT_BACKDATE_SECONDS - 61, startedAt, nowSeconds: now })).toEqual({ authenticatedAt: null, duringAttempt: false, source: 'none' });
  });

  it('refuses an iat from the future, a missing or non-integer iat', () => {
    for (const issuedAt of [now + 61, undefined, 'x', startedAt + 0.5]) {
      expect(freshTokenEvidence({ authTime: undefined, issuedAt, startedAt, nowSeconds: now }).source).toBe('none');
    }
  });

  it('with auth_time: the authentication must be inside the attempt, and so must the token', () => {
    expect(freshTokenEvidence({ authTime: startedAt + 5, issuedAt: startedAt + 6, startedAt, nowSeconds: now })).toEqual({ authenticatedAt: startedAt + 5, duringAttempt: true, source: 'auth_time' });
    // a fresh token from an old sign-in (refresh token, SSO session): auth_time gives it away
    expect(freshTokenEvidence({ authTime: startedAt - 3600, issuedAt: startedAt + 6, startedAt, nowSeconds: now })).toMatchObject({ duringAttempt: false, source: 'auth_time' });
    expect(freshTokenEvidence({ authTime: startedAt + 5, issuedAt: startedAt - 900, startedAt, nowSeconds: now })).toMatchObject({ duringAttempt: false });
  });
});
