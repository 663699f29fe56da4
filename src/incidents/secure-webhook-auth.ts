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
import type { ApiTokenValidator } from '../azure/api-token-validator.ts';
import { bearerClaims } from '../azure/bearer-claims.ts';

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

export async function authenticateSecureWebhook(authorization: unknown, settings: SecureWebhookSettings): Promise<SenderAuthResult> {
  const bearer = await bearerClaims(authorization, settings.validateToken);
  if (!bearer.ok) {
    switch (bearer.problem) {
      case 'missing':
        return { ok: false, status: 401, code: 'unauthenticated', message: 'a bearer token issued to the Azure Monitor action group is required (enable "secure webhook" on the action)' };
      case 'not_bearer':
        return { ok: false, status: 401, code: 'invalid_token', message: 'the Authorization header is not a bearer token' };
      case 'keys_unavailable':
        return { ok: false, status: 503, code: 'keys_unavailable', message: 'the tenant signing keys could not be loaded; try again' };
      case 'invalid':
        return { ok: false, status: 401, code: `token_${bearer.reason}`, message: `invalid token: ${bearer.message}` };
    }
  }
  const { claims } = bearer;
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
