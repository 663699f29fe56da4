import type { ConditionalAccess } from '../state/conditional-access.ts';
import { PASSWORD_ONLY, type SignInAuthentication } from '../state/entra-sessions.ts';
import type { ClaimsRequest } from './claims-request.ts';

/**
 * What an interactive sign-in must establish for a user: MFA when an enforced Conditional Access
 * policy applies, whether it targets the resource the sign-in asks a token for, is named by the
 * claims challenge the app passed on (`capolids`), or targets an authentication context the app
 * asked for (`acrs`); and the authentication contexts to state in the tokens. A policy whose
 * control the sign-in cannot establish (`satisfiedBySignIn: false`) asks for nothing here, and the
 * contexts it guards are then not satisfied.
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 * https://learn.microsoft.com/entra/identity-platform/developer-guide-conditional-access-authentication-context
 */
export interface SignInRequirement {
  mfa: boolean;
  authContexts: string[];
}

export function signInRequirement(ca: ConditionalAccess, userOid: string, resourceAppId: string, claims: ClaimsRequest): SignInRequirement {
  const policies = [...ca.forResource(userOid, resourceAppId), ...ca.byIds(userOid, claims.policyIds), ...ca.forAuthContexts(userOid, claims.authContexts)];
  const unsatisfiable = new Set(
    ca
      .forAuthContexts(userOid, claims.authContexts)
      .filter((p) => !p.satisfiedBySignIn)
      .flatMap((p) => p.conditions.applications.includeAuthenticationContextClassReferences),
  );
  return {
    mfa: policies.some((p) => p.satisfiedBySignIn),
    authContexts: claims.authContexts.filter((c) => !unsatisfiable.has(c)),
  };
}

/** Whether an earlier sign-in of the browser's session already established what is required (silent SSO). */
export function establishes(authentication: SignInAuthentication, required: SignInRequirement): boolean {
  return (!required.mfa || authentication.amr.includes('mfa')) && required.authContexts.every((c) => authentication.acrs.includes(c));
}

/**
 * The sign-in itself. The sandbox has no passwords and no second factor to prompt for: picking the
 * account stands for both. A user without an MFA method registers one on the way, as Entra's
 * combined registration interrupt makes them.
 * https://learn.microsoft.com/entra/identity/authentication/concept-registration-mfa-sspr-combined
 */
export function performSignIn(ca: ConditionalAccess, userOid: string, required: SignInRequirement): SignInAuthentication {
  if (!required.mfa) return { amr: [...PASSWORD_ONLY.amr], acrs: required.authContexts };
  ca.registerMfa(userOid);
  return { amr: ['pwd', 'mfa'], acrs: required.authContexts };
}
