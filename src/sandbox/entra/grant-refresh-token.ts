import type { AuthenticatedClient } from './client-authentication.ts';
import type { EntraContext } from './entra-context.ts';
import { entraErrors } from './entra-errors.ts';
import { param, requiredParam, type FormBody } from './form-params.ts';
import { parseScopeRequest } from './scope-request.ts';
import { userTokenResponse } from './user-token-response.ts';

/**
 * refresh_token: like Entra's, a refresh token is multi-resource (any consented resource may be
 * asked for) and stays valid after use; a new one is returned each time. It keeps the original
 * sign-in's auth_time, which is what lets a relying party insist on a fresh sign-in.
 */
export async function refreshTokenGrant(body: FormBody, client: AuthenticatedClient, ctx: EntraContext): Promise<Record<string, unknown>> {
  const token = requiredParam(body, 'refresh_token');
  const found = ctx.sessions.refreshTokens.lookup(token);
  if (found.state === 'absent') throw entraErrors.invalidGrant('The refresh token is not valid.');
  if (found.state === 'expired') throw entraErrors.refreshTokenExpired();
  const record = found.value;
  if (record.clientId !== client.app.clientId) throw entraErrors.invalidGrant('The refresh token was issued to another client.');
  const user = ctx.directory.userByOid(record.userOid);
  if (!user) throw entraErrors.invalidGrant('The user no longer exists.');
  const scopes = parseScopeRequest(requiredParam(body, 'scope'), ctx.directory);
  return userTokenResponse(ctx, {
    user,
    client: client.app,
    clientAuth: client.level,
    scopes,
    authTime: record.authTime,
    sessionId: record.sessionId,
    nonce: undefined,
    oidc: new Set([...scopes.oidc, 'offline_access']),
    clientInfo: param(body, 'client_info') === '1',
  });
}
