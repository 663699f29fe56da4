/**
 * MSAL/Entra failures of an on-behalf-of exchange, reduced to a code Elevate can act on and a
 * message it can show. MSAL's own message text is never passed on: the code table is the message.
 */
import { checkedClaimsRequest } from './claims-request.ts';

export type OboErrorCode =
  | 'invalid_assertion'
  | 'assertion_expired'
  | 'consent_required'
  | 'interaction_required'
  | 'blocked_by_policy'
  | 'user_not_allowed'
  | 'invalid_scope'
  | 'client_credential_invalid'
  | 'unavailable'
  | 'exchange_failed';

const MESSAGES: Record<OboErrorCode, string> = {
  invalid_assertion: "the user's token cannot be exchanged (wrong audience, tenant or signature)",
  assertion_expired: "the user's token has expired; the user must sign in again",
  consent_required: 'Elevate has no consent to call Azure Resource Manager on behalf of this user',
  interaction_required: 'the user must sign in again to satisfy a sign-in requirement (MFA or Conditional Access)',
  blocked_by_policy: 'a Conditional Access policy blocks this exchange',
  user_not_allowed: 'the user account cannot be used in this tenant (disabled, locked, or not a member)',
  invalid_scope: 'the requested scope is not valid for this exchange',
  client_credential_invalid: "Elevate's own app credential was rejected (check the client secret or federated credential)",
  unavailable: 'the identity provider could not be reached',
  exchange_failed: 'the on-behalf-of exchange failed',
};

/** AADSTS error numbers to codes; from the Entra error reference. */
const BY_AADSTS: Record<string, OboErrorCode> = {
  '50013': 'invalid_assertion',
  '50027': 'invalid_assertion',
  '7000112': 'invalid_assertion',
  '500133': 'assertion_expired',
  '700082': 'assertion_expired',
  '65001': 'consent_required',
  '65004': 'consent_required',
  '50076': 'interaction_required',
  '50079': 'interaction_required',
  '50158': 'interaction_required',
  '50072': 'interaction_required',
  '50074': 'interaction_required',
  '50058': 'interaction_required',
  '53000': 'blocked_by_policy',
  '53001': 'blocked_by_policy',
  '53003': 'blocked_by_policy',
  '50020': 'user_not_allowed',
  '50034': 'user_not_allowed',
  '50053': 'user_not_allowed',
  '50057': 'user_not_allowed',
  '70011': 'invalid_scope',
  '65002': 'invalid_scope',
  '500011': 'invalid_scope',
  '700016': 'client_credential_invalid',
  '7000215': 'client_credential_invalid',
  '7000222': 'client_credential_invalid',
  '700027': 'client_credential_invalid',
  '70021': 'client_credential_invalid',
  '700021': 'client_credential_invalid',
  '700024': 'client_credential_invalid',
  '7000218': 'client_credential_invalid',
};

export class OboExchangeError extends Error {
  override name = 'OboExchangeError';
  constructor(
    readonly code: OboErrorCode,
    /** The AADSTS number, e.g. "65001", when Entra gave one. */
    readonly aadsts: string | undefined,
    /** Conditional Access claims challenge to hand back to the user's sign-in; JSON, holds no secret. */
    readonly claims: string | undefined,
  ) {
    super(`${MESSAGES[code]}${aadsts ? ` (AADSTS${aadsts})` : ''}`);
  }

  /** Worth retrying later without user action. */
  get retryable(): boolean {
    return this.code === 'unavailable';
  }
}

interface MsalLikeError {
  errorCode?: unknown;
  errorMessage?: unknown;
  subError?: unknown;
  errorNo?: unknown;
  claims?: unknown;
  name?: unknown;
}

export function mapMsalError(err: unknown): OboExchangeError {
  if (err instanceof OboExchangeError) return err;
  const e = (err ?? {}) as MsalLikeError;
  const errorCode = typeof e.errorCode === 'string' ? e.errorCode : '';
  const message = typeof e.errorMessage === 'string' ? e.errorMessage : '';
  const aadsts =
    (typeof e.errorNo === 'string' || typeof e.errorNo === 'number') && /^\d+$/.test(String(e.errorNo))
      ? String(e.errorNo)
      : /AADSTS(\d{4,8})/.exec(message)?.[1];
  // Put into the approver's next authorize URL (browser) or a WWW-Authenticate header (CLI): only a checked claims request.
  const claims = checkedClaimsRequest(e.claims);

  let code: OboErrorCode | undefined = aadsts ? BY_AADSTS[aadsts] : undefined;
  if (!code) {
    if (errorCode === 'interaction_required' || errorCode === 'consent_required' || e.name === 'InteractionRequiredAuthError') {
      code = errorCode === 'consent_required' ? 'consent_required' : 'interaction_required';
    } else if (errorCode === 'invalid_grant') {
      code = 'invalid_assertion';
    } else if (errorCode === 'invalid_client' || errorCode === 'unauthorized_client') {
      code = 'client_credential_invalid';
    } else if (errorCode === 'invalid_scope') {
      code = 'invalid_scope';
    } else if (errorCode === 'network_error' || errorCode === 'no_network_connectivity' || errorCode === 'endpoints_resolution_error' || errorCode === 'openid_config_error') {
      code = 'unavailable';
    } else {
      code = 'exchange_failed';
    }
  }
  // A claims challenge matters only when the user has to sign in again.
  return new OboExchangeError(code, aadsts, code === 'interaction_required' || code === 'blocked_by_policy' ? claims : undefined);
}
