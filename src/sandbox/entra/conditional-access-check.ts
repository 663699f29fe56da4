import type { JWTPayload } from 'jose';
import type { ResourceServer } from '../state/directory.ts';
import { PASSWORD_ONLY, type SignInAuthentication } from '../state/entra-sessions.ts';
import type { EntraContext } from './entra-context.ts';
import { entraErrors, type EntraError } from './entra-errors.ts';

/**
 * Conditional Access at the token endpoint: a token for a resource that an enforced policy
 * targets needs a sign-in that satisfied the policy's control (MFA). When the sign-in behind the
 * presented token did not, Entra answers with a claims challenge naming the policies, which the
 * app passes on to /authorize; the sign-in that follows performs MFA and its tokens pass.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
 * https://learn.microsoft.com/entra/identity-platform/v2-conditional-access-dev-guide
 */
export function conditionalAccessChallenge(ctx: EntraContext, userOid: string, resource: ResourceServer, authentication: SignInAuthentication): EntraError | undefined {
  const policies = ctx.conditionalAccess.forResource(userOid, resource.appId);
  if (policies.length === 0 || authentication.amr.includes('mfa')) return undefined;
  // `capolids`, the ids of the unmet policies, as tenants send it today (the on-behalf-of doc's
  // older example says `polids`; claims-request.ts reads both when the app hands it back).
  const claims = JSON.stringify({ access_token: { capolids: { essential: true, values: policies.map((p) => p.id) } } });
  return ctx.conditionalAccess.hasMfaMethod(userOid) ? entraErrors.mfaRequired(resource.appId, claims) : entraErrors.mfaEnrollmentRequired(resource.appId, claims);
}

/**
 * What the sign-in behind a user token established. A v1 token states its methods in `amr`; a v2
 * token does not carry `amr`, so Entra's own record of the session (`sid`) is read, as Entra reads
 * its session state. `acrs` is in both versions.
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */
export function assertionAuthentication(ctx: EntraContext, claims: JWTPayload): SignInAuthentication {
  const session = typeof claims.sid === 'string' ? ctx.sessions.authentications.get(claims.sid) : undefined;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
  return {
    amr: strings(claims.amr) ?? session?.amr ?? PASSWORD_ONLY.amr,
    acrs: strings(claims.acrs) ?? session?.acrs ?? [],
  };
}
