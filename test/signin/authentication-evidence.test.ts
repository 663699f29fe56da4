import { describe, expect, it } from 'vitest';
import { authenticationEvidence, CLOCK_SKEW_SECONDS, ENTRA_IAT_BACKDATE_SECONDS } from '../../src/signin/authentication-evidence.ts';

const NOW = 1_800_000_000;
const STARTED = NOW - 40;
const facts = (x: Partial<Parameters<typeof authenticationEvidence>[0]> = {}) => ({ authTime: null, issuedAt: NOW - 1, startedAt: STARTED, promptedLogin: true, nowSeconds: NOW, ...x });

describe('authenticationEvidence', () => {
  it('uses auth_time when the tenant sends it, and says whether it falls within the flow', () => {
    expect(authenticationEvidence(facts({ authTime: NOW - 5 }))).toEqual({ authenticatedAt: NOW - 5, duringFlow: true, source: 'auth_time' });
    // an SSO session from before the flow, even with prompt=login asked for
    expect(authenticationEvidence(facts({ authTime: STARTED - CLOCK_SKEW_SECONDS - 1 }))).toMatchObject({ duringFlow: false, source: 'auth_time' });
  });

  it('without auth_time, a prompt=login flow whose ID token was minted during the flow counts from the flow start', () => {
    expect(authenticationEvidence(facts())).toEqual({ authenticatedAt: STARTED, duringFlow: true, source: 'prompt_login' });
  });

  it('without auth_time, takes Entra\'s iat as it is stamped: five minutes before the token was minted', () => {
    // Minted a second after the flow began, stamped 300 s earlier (as on every Entra token).
    expect(authenticationEvidence(facts({ issuedAt: STARTED + 1 - ENTRA_IAT_BACKDATE_SECONDS }))).toEqual({ authenticatedAt: STARTED, duringFlow: true, source: 'prompt_login' });
    expect(authenticationEvidence(facts({ issuedAt: STARTED - ENTRA_IAT_BACKDATE_SECONDS - CLOCK_SKEW_SECONDS }))).toMatchObject({ source: 'prompt_login' });
  });

  it('without auth_time, refuses an ID token minted before the flow or in the future', () => {
    expect(authenticationEvidence(facts({ issuedAt: STARTED - ENTRA_IAT_BACKDATE_SECONDS - CLOCK_SKEW_SECONDS - 1 }))).toEqual({ authenticatedAt: null, duringFlow: false, source: 'none' });
    expect(authenticationEvidence(facts({ issuedAt: NOW + CLOCK_SKEW_SECONDS + 1 }))).toMatchObject({ source: 'none', duringFlow: false });
  });

  it('without auth_time, proves nothing when prompt=login was not sent or iat is not a whole number', () => {
    expect(authenticationEvidence(facts({ promptedLogin: false }))).toMatchObject({ source: 'none', authenticatedAt: null });
    for (const issuedAt of [undefined, '1800000000', 1.5, null]) expect(authenticationEvidence(facts({ issuedAt }))).toMatchObject({ source: 'none' });
  });
});
