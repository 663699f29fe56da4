import { CONSUMERS_TENANT_ID } from '../state/first-party-apps.ts';
import type { AuthenticatedClient } from './client-authentication.ts';
import { assertionAuthentication } from './conditional-access-check.ts';
import { sandboxIssuers, type EntraContext } from './entra-context.ts';
import { entraErrors, entraTimestamp } from './entra-errors.ts';
import { param, requiredParam, type FormBody } from './form-params.ts';
import { parseScopeRequest } from './scope-request.ts';
import { peekClaims, verifySandboxToken } from './token-verifier.ts';
import { userTokenResponse } from './user-token-response.ts';

/**
 * The on-behalf-of grant (jwt-bearer, requested_token_use=on_behalf_of). The user assertion must
 * be a delegated user token the sandbox signed, unexpired, issued for the calling app (its client
 * id or one of its App ID URIs), for a user in the tenant's directory (member or guest);
 * the calling app must hold consent for the requested resource, and the sign-in behind the
 * assertion must satisfy the Conditional Access policies that target that resource (else a claims
 * challenge: conditional-access-check.ts, applied in user-token-response.ts). The result is a token for the same user, carrying the
 * original sign-in's auth_time, authentication methods and contexts.
 */
export async function onBehalfOfGrant(body: FormBody, client: AuthenticatedClient, ctx: EntraContext): Promise<Record<string, unknown>> {
  if (param(body, 'requested_token_use') !== 'on_behalf_of') {
    throw entraErrors.invalidRequest("The jwt-bearer grant needs requested_token_use=on_behalf_of.");
  }
  const assertion = requiredParam(body, 'assertion');
  const claims = peekClaims(assertion);
  if (!claims) throw entraErrors.malformedJwt('assertion');

  const verified = await verifySandboxToken(assertion, ctx.keys);
  if (!verified.ok) {
    switch (verified.reason) {
      case 'malformed':
        throw entraErrors.malformedJwt('assertion');
      case 'unsupported_alg':
        throw entraErrors.assertionSignature('The token is not signed with a supported algorithm.');
      case 'unknown_key':
        throw entraErrors.assertionSignature(`The key was not found., Thumbprint of key used by client: '${String(verified.kid ?? '').slice(0, 64)}'`);
      case 'bad_signature':
        throw entraErrors.assertionSignature('The provided signature value did not match the expected signature value.');
      case 'expired':
      case 'not_yet_valid':
        throw entraErrors.assertionExpired(entraTimestamp(), typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : 'missing');
    }
  }
  const iss = typeof claims.iss === 'string' ? claims.iss : '';
  if (!sandboxIssuers(ctx).has(iss)) throw entraErrors.assertionWrongIssuer(iss.slice(0, 200));

  const app = client.app;
  const aud = typeof claims.aud === 'string' ? claims.aud : '';
  const audOk = aud.toLowerCase() === app.clientId || app.identifierUris.some((u) => u.replace(/\/+$/, '') === aud.replace(/\/+$/, ''));
  if (!audOk) throw entraErrors.assertionAudience(aud.slice(0, 200), app.clientId);

  if (claims.idtyp === 'app' || typeof claims.scp !== 'string' || claims.scp.length === 0) throw entraErrors.assertionNotDelegated();

  // A token from the consumers tenant belongs to a personal account that is not in this
  // directory (AADSTS50020). Guests ARE in it, an invited personal account too (tid = this
  // tenant, idp = live.com): Entra exchanges their tokens like a member's, so refusing guests
  // is the relying app's decision, not Entra's.
  const who = String(claims.preferred_username ?? claims.upn ?? claims.oid ?? 'unknown').slice(0, 200);
  if (claims.tid === CONSUMERS_TENANT_ID) throw entraErrors.userNotInTenant(who, 'live.com', ctx.directory.tenantId);
  const user = typeof claims.oid === 'string' ? ctx.directory.userByOid(claims.oid) : undefined;
  if (claims.tid !== ctx.directory.tenantId || !user || !user.invited) {
    throw entraErrors.userNotInTenant(who, String(claims.idp ?? iss).slice(0, 200), ctx.directory.tenantId);
  }

  const scopes = parseScopeRequest(requiredParam(body, 'scope'), ctx.directory);
  // Conditional Access (user-token-response.ts) judges the sign-in behind the assertion.
  const authentication = assertionAuthentication(ctx, claims);
  const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : (claims.iat ?? Math.floor(Date.now() / 1000));
  return userTokenResponse(ctx, {
    user,
    client: app,
    clientAuth: client.level,
    scopes,
    authTime,
    sessionId: typeof claims.sid === 'string' ? claims.sid : '',
    nonce: undefined,
    oidc: scopes.oidc,
    clientInfo: param(body, 'client_info') === '1',
    authentication,
  });
}
