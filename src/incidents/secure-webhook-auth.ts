/**
 * Who delivered an alert, for Azure Monitor's secure webhook. The action group gets an Entra
 * access token for Elevate's app registration (audience: its App ID URI or client id) as the
 * "Azure Monitor Action Group" first-party app, whose service principal holds an app role of that
 * registration, and sends it as `Authorization: Bearer`.
 * https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups#secure-webhook
 *
 * The token goes through the same validator as every other token for Elevate's API (signature,
 * issuer and tenant, audience, expiry); then it must be app-only, from the action group app
 * (`azp`/`appid`), and carry the configured app role (`roles`). The token is never stored, logged
 * or echoed; refusals name the check that failed.
 */
import { TokenValidationError, type ApiTokenClaims, type ApiTokenValidator } from '../azure/api-token-validator.ts';

export interface SecureWebhookSettings {
  validateToken: ApiTokenValidator;
  /** the "Azure Monitor Action Group" app id (461e8683-5575-4561-ac7f-899cc907d62a in every cloud) */
  actionGroupAppId: string;
  /** the app role of Elevate's registration assigned to the action group app */
  appRole: string;
}

export type SenderAuthResult =
  | { ok: true; source: string; callerId: string }
  | { ok: false; status: 401 | 403 | 503; code: string; message: string; callerId?: string | undefined };

/** Entra access tokens are far below this; a larger header is not one. */
const MAX_AUTHORIZATION_HEADER = 16_384;

export function bearerTokenOf(header: unknown): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_AUTHORIZATION_HEADER) return undefined;
  return /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header)?.[1];
}

export async function authenticateSecureWebhook(authorization: unknown, settings: SecureWebhookSettings): Promise<SenderAuthResult> {
  if (authorization === undefined) return { ok: false, status: 401, code: 'unauthenticated', message: 'a bearer token issued to the Azure Monitor action group is required (enable "secure webhook" on the action)' };
  const token = bearerTokenOf(authorization);
  if (!token) return { ok: false, status: 401, code: 'invalid_token', message: 'the Authorization header is not a bearer token' };
  let claims: ApiTokenClaims;
  try {
    claims = await settings.validateToken(token);
  } catch (err) {
    if (err instanceof TokenValidationError) {
      if (err.reason === 'keys_unavailable') return { ok: false, status: 503, code: 'keys_unavailable', message: 'the tenant signing keys could not be loaded; try again' };
      return { ok: false, status: 401, code: `token_${err.reason}`, message: `invalid token: ${err.message}` };
    }
    throw err;
  }
  const callerId = claims.clientAppId;
  if (claims.principalType !== 'app' || (claims.idtyp !== undefined && claims.idtyp !== 'app')) {
    return { ok: false, status: 403, code: 'not_an_application', message: 'alerts are accepted from the action group application, not from a user', callerId };
  }
  if (claims.clientAppId.toLowerCase() !== settings.actionGroupAppId.toLowerCase()) {
    return { ok: false, status: 403, code: 'wrong_caller_app', message: 'the token was not issued to the Azure Monitor action group application', callerId };
  }
  if (!claims.roles.includes(settings.appRole)) {
    return { ok: false, status: 403, code: 'missing_app_role', message: `the action group application lacks the ${settings.appRole} app role of Elevate's registration`, callerId };
  }
  return { ok: true, source: 'secure-webhook', callerId };
}
