import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import { classifyCallbackError, protocolFailure } from '../../src/signin/callback-failure.ts';

describe('classifyCallbackError', () => {
  it('maps an error returned by the tenant to idp-error with its code', () => {
    const err = new client.AuthorizationResponseError('authorization response from the server is an error', {
      cause: new URLSearchParams({ error: 'access_denied', error_description: 'AADSTS50105: <b>no</b>' }),
    });
    expect(classifyCallbackError(err)).toMatchObject({ reason: 'idp-error', idpError: 'access_denied' });
  });

  it('drops an error code that is not a plain OAuth code', () => {
    const err = new client.AuthorizationResponseError('x', { cause: new URLSearchParams({ error: '<script>alert(1)</script>' }) });
    const failure = classifyCallbackError(err);
    expect(failure.reason).toBe('idp-error');
    expect(failure.idpError).toBeUndefined();
    expect(failure.explanation).not.toContain('<script>');
  });

  it('falls back to a generic validation failure for anything unexpected', () => {
    expect(classifyCallbackError(new Error('boom')).reason).toBe('token-validation-failed');
    expect(classifyCallbackError('string thrown').reason).toBe('token-validation-failed');
  });
});

describe('protocolFailure', () => {
  it('explains every reason in a sentence', () => {
    for (const reason of ['unknown-state', 'missing-pkce-verifier', 'nonce-mismatch', 'code-rejected'] as const) {
      expect(protocolFailure(reason).explanation).toMatch(/^[A-Z].*\.$/);
    }
  });
});
