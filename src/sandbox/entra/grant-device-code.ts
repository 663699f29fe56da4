import type { AuthenticatedClient } from './client-authentication.ts';
import type { EntraContext } from './entra-context.ts';
import { entraErrors } from './entra-errors.ts';
import { requiredParam, type FormBody } from './form-params.ts';
import { signInTokenResponse } from './sign-in-token-response.ts';

/**
 * Node's timers may fire a hair early; a client that waited its interval is not told to slow down
 * for that.
 */
const POLL_TOLERANCE_MS = 200;

/**
 * grant_type=urn:ietf:params:oauth:grant-type:device_code, as Entra answers the polling client
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code):
 * `authorization_pending` until the person signs in on the device login page,
 * `authorization_declined` when they cancel, `expired_token` once the code's 15 minutes are over,
 * `bad_verification_code` for a code Entra never issued, and RFC 8628's `slow_down` for a client
 * polling faster than `interval`. The code belongs to the client it was issued to and is redeemed
 * once; the tokens follow the same rules as every other user token of the sandbox (account type,
 * tenant, app roles in `roles`, optional claims only when the registration asks).
 */
export async function deviceCodeGrant(body: FormBody, client: AuthenticatedClient, ctx: EntraContext): Promise<Record<string, unknown>> {
  const deviceCode = requiredParam(body, 'device_code');
  const found = ctx.sessions.deviceCodes.lookup(deviceCode);
  if (found.state === 'absent') throw entraErrors.badVerificationCode();
  const record = found.value;
  if (record.clientId !== client.app.clientId) throw entraErrors.badVerificationCode();
  if (found.state === 'expired') throw entraErrors.deviceCodeExpired();
  if (record.redeemed) throw entraErrors.deviceCodeRedeemed();
  const now = Date.now();
  const last = record.lastPollAt;
  record.lastPollAt = now;
  if (last !== undefined && now - last < record.intervalSeconds * 1000 - POLL_TOLERANCE_MS) throw entraErrors.slowDown();
  if (record.status === 'declined') {
    record.redeemed = true;
    throw entraErrors.authorizationDeclined();
  }
  if (record.status === 'pending' || record.userOid === undefined || record.authTime === undefined || record.sessionId === undefined) throw entraErrors.authorizationPending();
  record.redeemed = true;
  ctx.sessions.userCodes.delete(record.userCode);

  return signInTokenResponse(ctx, client, body, { userOid: record.userOid, scope: record.scope, authTime: record.authTime, sessionId: record.sessionId, nonce: undefined });
}
