/**
 * The checks every completed sign-in goes through before a session is created. Each check is a
 * pure function over the ID token's claims and the expected tenant; the pipeline runs them in
 * order and stops at the first refusal, whose reason is audited and explained to the user.
 */

/** The ID token claims the checks read. Everything is optional: a token may lack any of them. */
export interface SignInClaims {
  iss?: unknown;
  tid?: unknown;
  oid?: unknown;
  /** Home identity provider; present when it differs from the issuer (guests, personal accounts). */
  idp?: unknown;
  /** Entra account type: 0 member, 1 guest. */
  acct?: unknown;
  roles?: unknown;
  groups?: unknown;
  [claim: string]: unknown;
}

export interface AccountCheckContext {
  claims: SignInClaims;
  tenantId: string;
  /** `${authorityHost}/${tenantId}/v2.0` */
  issuer: string;
  /** Elevate roles the claims grant (app roles or mapped groups), from `rolesFromClaims`. */
  roles: readonly string[];
  /** Display names of the roles that would let this user in, for the "no role" page. */
  roleNames: readonly string[];
}

export type RefusalReason = 'missing-identity' | 'personal-account' | 'guest-account' | 'wrong-issuer' | 'wrong-tenant' | 'no-role';

export interface AccountRefusal {
  reason: RefusalReason;
  /** One sentence for the user, naming what is wrong and what would be accepted. */
  explanation: string;
  /** For `no-role`: the roles any of which would let the user in. */
  neededRoles?: readonly string[];
}

export type AccountCheck = (ctx: AccountCheckContext) => AccountRefusal | undefined;

/** The tenant Microsoft uses for personal (consumer) accounts. */
export const PERSONAL_ACCOUNT_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';

export function claimString(claims: SignInClaims, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Tenant id inside an issuer such as https://sts.windows.net/{tid}/ or .../{tid}/v2.0. */
export function tenantOfIssuer(issuer: string): string | undefined {
  return /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(issuer)?.[1]?.toLowerCase();
}
