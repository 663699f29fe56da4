import { OIDC_SCOPES } from '../state/first-party-apps.ts';
import type { AuthenticatedClient } from './client-authentication.ts';
import type { EntraContext } from './entra-context.ts';
import { entraErrors } from './entra-errors.ts';
import { param, type FormBody } from './form-params.ts';
import { parseScopeRequest } from './scope-request.ts';
import { userTokenResponse } from './user-token-response.ts';

/** What an interactive sign-in left for its redemption (an authorization code or a device code). */
export interface CompletedSignIn {
  userOid: string;
  /** the scopes asked for at sign-in */
  scope: string;
  authTime: number;
  sessionId: string;
  /** the authorization request's nonce (the device code flow has none) */
  nonce: string | undefined;
}

/**
 * The token response that redeems a completed interactive sign-in, as Entra answers both grants:
 * the redemption's `scope` when given, else the sign-in's; OIDC scopes only as far as the sign-in
 * asked for them (an ID token needs `openid` at sign-in, not just at redemption).
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token
 */
export function signInTokenResponse(ctx: EntraContext, client: AuthenticatedClient, body: FormBody, signIn: CompletedSignIn): Promise<Record<string, unknown>> {
  const user = ctx.directory.userByOid(signIn.userOid);
  if (!user) throw entraErrors.invalidGrant('The signed-in user no longer exists.');
  const requested = param(body, 'scope');
  const signInScopes = parseScopeRequest(signIn.scope, ctx.directory);
  const scopes = requested ? parseScopeRequest(requested, ctx.directory) : signInScopes;
  const oidc = new Set([...signInScopes.oidc].filter((s) => OIDC_SCOPES.has(s)));
  return userTokenResponse(ctx, {
    user,
    client: client.app,
    clientAuth: client.level,
    scopes,
    authTime: signIn.authTime,
    sessionId: signIn.sessionId,
    nonce: signIn.nonce,
    oidc,
    clientInfo: param(body, 'client_info') === '1',
  });
}
