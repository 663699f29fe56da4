import type { DirectoryApplication, DirectoryUser } from '../state/directory.ts';
import { PASSWORD_ONLY, REFRESH_TOKEN_TTL_MS, randomToken, type SignInAuthentication } from '../state/entra-sessions.ts';
import { conditionalAccessChallenge } from './conditional-access-check.ts';
import type { EntraContext } from './entra-context.ts';
import { groupClaims } from './group-claims.ts';
import { consentedScopes, grantedScopeString, type ScopeRequest } from './scope-request.ts';
import type { ClientAuthLevel } from './token-issuer.ts';

/** The token response for a user: access token, plus ID token, refresh token and client_info as asked. */
export async function userTokenResponse(
  ctx: EntraContext,
  p: {
    user: DirectoryUser;
    client: DirectoryApplication;
    clientAuth: ClientAuthLevel;
    scopes: ScopeRequest;
    authTime: number;
    sessionId: string;
    nonce: string | undefined;
    /** the ID token and refresh token follow the OpenID scopes of the original sign-in */
    oidc: Set<string>;
    clientInfo: boolean;
    /** what the sign-in established; by default Entra's record of the session (`sessionId`) */
    authentication?: SignInAuthentication;
  },
): Promise<Record<string, unknown>> {
  const scopes = consentedScopes(p.client, p.scopes, ctx.directory);
  const resource = p.scopes.resource;
  const authentication = p.authentication ?? ctx.sessions.authentications.get(p.sessionId) ?? PASSWORD_ONLY;
  // Conditional Access is evaluated at every token issuance, whatever the grant (code, refresh,
  // device code, on-behalf-of): a resource a policy targets needs a sign-in that satisfied it.
  const challenge = conditionalAccessChallenge(ctx, p.user.oid, resource, authentication);
  if (challenge) throw challenge;
  const roles = resource.app ? ctx.directory.appRolesOf(p.user.oid, resource.appId) : [];
  const access = await ctx.issuer.userAccessToken({
    user: p.user,
    client: p.client,
    clientAuth: p.clientAuth,
    resource,
    scopes,
    roles,
    // the resource's registration decides, as for `roles` (first-party resources: none)
    groupClaims: groupClaims(ctx.directory, p.user, resource.app),
    authTime: p.authTime,
    sessionId: p.sessionId,
    authentication,
  });
  const body: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: grantedScopeString(resource, scopes, p.oidc),
    expires_in: access.expiresIn,
    ext_expires_in: access.expiresIn,
    access_token: access.token,
  };
  if (p.oidc.has('offline_access')) {
    const rt = randomToken(48);
    ctx.sessions.refreshTokens.set(rt, { clientId: p.client.clientId, userOid: p.user.oid, authTime: p.authTime, sessionId: p.sessionId }, REFRESH_TOKEN_TTL_MS);
    body.refresh_token = rt;
    body.refresh_token_expires_in = Math.floor(REFRESH_TOKEN_TTL_MS / 1000);
  }
  if (p.oidc.has('openid')) {
    const id = await ctx.issuer.idToken({
      user: p.user,
      client: p.client,
      nonce: p.nonce,
      authTime: p.authTime,
      sessionId: p.sessionId,
      roles: ctx.directory.appRolesOf(p.user.oid, p.client.clientId),
      groupClaims: groupClaims(ctx.directory, p.user, p.client),
    });
    body.id_token = id.token;
  }
  if (p.clientInfo) body.client_info = ctx.issuer.clientInfo(p.user);
  return body;
}
