import { describe, expect, it } from 'vitest';
import { InteractionRequiredAuthError, ServerError, AuthError } from '@azure/msal-node';
import { mapMsalError, OboExchangeError } from '../../src/azure/obo-error.ts';
import { fakeJwt } from '../support/fake-jwt.ts';

const TOKENISH = fakeJwt({ sub: 'x' });

describe('mapMsalError', () => {
  it('maps AADSTS65001 to consent_required with the code and no MSAL text', () => {
    const err = mapMsalError(new ServerError('invalid_grant', 'corr', `AADSTS65001: The user or administrator has not consented. assertion=${TOKENISH}`, '', '65001'));
    expect(err).toBeInstanceOf(OboExchangeError);
    expect(err.code).toBe('consent_required');
    expect(err.aadsts).toBe('65001');
    expect(err.message).toContain('AADSTS65001');
    expect(err.message).not.toContain(TOKENISH);
    expect(err.message).not.toContain('administrator has not consented');
  });

  it('maps AADSTS50013 (assertion failed validation) to invalid_assertion', () => {
    const err = mapMsalError(new ServerError('invalid_grant', 'corr', 'AADSTS50013: Assertion failed signature validation.'));
    expect([err.code, err.aadsts]).toEqual(['invalid_assertion', '50013']);
  });

  it('keeps the claims challenge for interaction_required (MFA / Conditional Access)', () => {
    const claims = '{"access_token":{"capolids":{"essential":true,"values":["abc"]}}}';
    const err = mapMsalError(new InteractionRequiredAuthError('interaction_required', 'corr', 'AADSTS50076: Due to a configuration change...', '', '', '', claims, '50076'));
    expect(err.code).toBe('interaction_required');
    expect(err.aadsts).toBe('50076');
    expect(err.claims).toBe(claims);
    expect(err.retryable).toBe(false);
  });

  it('passes on only a checked claims request: it goes into the approver\'s next authorize URL', () => {
    const challenge = (claims: string) => mapMsalError(new InteractionRequiredAuthError('interaction_required', 'corr', 'AADSTS50076: x', '', '', '', claims, '50076')).claims;
    // Re-serialised from what was parsed: a duplicate member is read one way only.
    expect(challenge('{"access_token":{"acrs":{"value":"c1"}},"access_token":{"acrs":{"value":"c2"}}}')).toBe('{"access_token":{"acrs":{"value":"c2"}}}');
    for (const bad of ['{"access_token":{}}&prompt=none', '["access_token"]', '{"redirect_uri":{}}', '{"access_token":"x"}', '{}', `{"access_token":{"x":"${'a'.repeat(5000)}"}}`]) {
      expect(challenge(bad)).toBeUndefined();
    }
  });

  it('treats interaction_required without an AADSTS number as interaction_required', () => {
    expect(mapMsalError(new InteractionRequiredAuthError('interaction_required', 'corr')).code).toBe('interaction_required');
  });

  it('maps expired assertions, policy blocks, disabled users, bad client credentials', () => {
    const code = (n: string) => mapMsalError(new ServerError('invalid_grant', '', `AADSTS${n}: x`)).code;
    expect(code('500133')).toBe('assertion_expired');
    expect(code('53003')).toBe('blocked_by_policy');
    expect(code('50057')).toBe('user_not_allowed');
    expect(code('7000215')).toBe('client_credential_invalid');
    expect(code('70011')).toBe('invalid_scope');
  });

  it('drops a claims challenge that is not needed', () => {
    const err = mapMsalError(new InteractionRequiredAuthError('invalid_grant', '', 'AADSTS65001: x', '', '', '', '{"a":1}', '65001'));
    expect(err.code).toBe('consent_required');
    expect(err.claims).toBeUndefined();
  });

  it('maps network failures to unavailable (retryable) and unknown errors to exchange_failed', () => {
    const network = mapMsalError(new AuthError('network_error', 'Network request failed: ECONNREFUSED'));
    expect(network.code).toBe('unavailable');
    expect(network.retryable).toBe(true);
    expect(mapMsalError(new TypeError('boom')).code).toBe('exchange_failed');
    expect(mapMsalError(undefined).code).toBe('exchange_failed');
    expect(mapMsalError(new ServerError('invalid_client', '', 'unknown')).code).toBe('client_credential_invalid');
  });

  it('ignores a non-numeric errorNo', () => {
    const err = mapMsalError(new ServerError('invalid_grant', '', 'no number here', '', 'abc'));
    expect(err.aadsts).toBeUndefined();
    expect(err.code).toBe('invalid_assertion');
  });
});
