import * as client from 'openid-client';

/**
 * Why a callback was refused before any account check could run. The user sees the
 * explanation; the audit log records the reason. Neither ever contains a token or a code.
 */
export type ProtocolFailureReason =
  | 'unknown-state'
  | 'expired-flow'
  | 'missing-pkce-verifier'
  | 'idp-error'
  | 'code-rejected'
  | 'nonce-mismatch'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'stale-authentication'
  | 'token-validation-failed'
  | 'api-token-invalid';

export interface ProtocolFailure {
  kind: 'protocol';
  reason: ProtocolFailureReason;
  explanation: string;
  /** The tenant's OAuth error code, when it sent one (letters and underscores only). */
  idpError?: string;
}

const EXPLANATIONS: Record<ProtocolFailureReason, string> = {
  'unknown-state':
    'This sign-in response does not belong to a sign-in started in this browser (it may have been used already, or started in another browser). Start again.',
  'expired-flow': 'The sign-in took too long to complete. Start again.',
  'missing-pkce-verifier': 'The sign-in could not be verified (its proof key is missing). Start again.',
  'idp-error': 'The tenant did not complete the sign-in.',
  'code-rejected': 'The tenant rejected the sign-in code (it may have been used already). Start again.',
  'nonce-mismatch': 'The sign-in response was not issued for the sign-in this browser started. Start again.',
  'wrong-issuer': 'The sign-in was issued by a different identity provider than the tenant Elevate is configured for.',
  'wrong-audience': 'The sign-in was issued for a different application.',
  'stale-authentication': 'You must enter your credentials again for this step, and the sign-in was older than allowed. Start again.',
  'token-validation-failed': 'The sign-in response could not be validated. Start again.',
  'api-token-invalid': 'The tenant returned an access token for Elevate that could not be validated.',
};

export function protocolFailure(reason: ProtocolFailureReason, idpError?: string): ProtocolFailure {
  const failure: ProtocolFailure = { kind: 'protocol', reason, explanation: EXPLANATIONS[reason] };
  if (idpError) {
    failure.idpError = idpError;
    failure.explanation = `${EXPLANATIONS[reason]} (${idpError})`;
  }
  return failure;
}

/** Maps what openid-client threw during the code exchange to a failure reason. */
export function classifyCallbackError(err: unknown): ProtocolFailure {
  if (err instanceof client.AuthorizationResponseError) return protocolFailure('idp-error', oauthErrorCode(err.error));
  if (err instanceof client.ResponseBodyError) {
    return err.error === 'invalid_grant' ? protocolFailure('code-rejected') : protocolFailure('idp-error', oauthErrorCode(err.error));
  }
  if (err instanceof client.ClientError) {
    const claim = claimOf(err.cause);
    if (err.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED') {
      if (claim === 'nonce') return protocolFailure('nonce-mismatch');
      if (claim === 'iss') return protocolFailure('wrong-issuer');
      if (claim === 'aud' || claim === 'azp') return protocolFailure('wrong-audience');
    }
    if (err.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' && claim === 'auth_time') return protocolFailure('stale-authentication');
    if (err.code === 'OAUTH_INVALID_RESPONSE' && claim === 'auth_time') return protocolFailure('stale-authentication');
  }
  return protocolFailure('token-validation-failed');
}

/**
 * The ID token claims of an exchange that failed only because the token came from another issuer
 * (a personal account's consumer tenant, say). They came straight from the token endpoint over
 * TLS, in answer to our authenticated, PKCE-bound request: the same trust as accepted claims.
 * They are used only to explain and audit a refusal, never to let anyone in.
 */
export function claimsOfIssuerMismatch(err: unknown): Record<string, unknown> | undefined {
  if (!(err instanceof client.ClientError) || err.code !== 'OAUTH_JWT_CLAIM_COMPARISON_FAILED') return undefined;
  if (claimOf(err.cause) !== 'iss') return undefined;
  const inner = err.cause instanceof Error ? err.cause.cause : undefined;
  const claims = inner && typeof inner === 'object' && 'claims' in inner ? (inner as { claims: unknown }).claims : undefined;
  return claims && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
}

function claimOf(cause: unknown): string | undefined {
  // ClientError wraps oauth4webapi's OperationProcessingError, whose cause names the claim.
  const inner = cause instanceof Error ? cause.cause : cause;
  if (inner && typeof inner === 'object' && 'claim' in inner) {
    const claim = (inner as { claim: unknown }).claim;
    return typeof claim === 'string' ? claim : undefined;
  }
  return undefined;
}

function oauthErrorCode(code: unknown): string | undefined {
  return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : undefined;
}
