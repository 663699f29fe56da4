import type { HomeAccount } from '../client-info.ts';

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
  /**
   * Home identity provider; Entra sends it when it differs from the issuer (guests, personal
   * accounts invited as guests), and a token without it means "the issuer".
   */
  idp?: unknown;
  /** Entra account type, 0 member, 1 guest: an OPTIONAL claim, absent unless the app registration asks. */
  acct?: unknown;
  roles?: unknown;
  groups?: unknown;
  [claim: string]: unknown;
}

export interface AccountCheckContext {
  claims: SignInClaims;
  /**
   * The account in its home directory, from the token response's `client_info` (see
   * client-info.ts); undefined when the tenant did not send it.
   */
  home: HomeAccount | undefined;
  tenantId: string;
  /** `${authorityHost}/${tenantId}/v2.0` */
  issuer: string;
  /** Elevate roles the claims grant (app roles or mapped groups), from `rolesFromClaims`. */
  roles: readonly string[];
  /** Display names of the roles that would let this user in, for the "no role" page. */
  roleNames: readonly string[];
  /** How the groups behind the group mapping were read (signin/group-memberships.ts). */
  groups: GroupsReading;
}

/**
 * Where the groups that service-roles.yaml maps to roles came from:
 * - `unmapped`: no role is granted through groups, so none were read;
 * - `listed`: the token's `groups` claim;
 * - `absent`: the token carried no group claim at all (groupMembershipClaims null, or no groups);
 * - `looked-up`: the token carried the overage indicator and Microsoft Graph answered;
 * - `not-needed`: the overage indicator, but the app roles already grant every role a group could;
 * - `unreadable`: the overage indicator and Microsoft Graph did not answer (`why`).
 */
export type GroupsReading = { source: 'unmapped' | 'listed' | 'absent' | 'looked-up' | 'not-needed' } | { source: 'unreadable'; why: string };

export type RefusalReason = 'missing-identity' | 'personal-account' | 'guest-account' | 'wrong-issuer' | 'wrong-tenant' | 'unknown-home-tenant' | 'groups-unresolved' | 'no-role';

export interface AccountRefusal {
  reason: RefusalReason;
  /** One sentence for the user, naming what is wrong and what would be accepted. */
  explanation: string;
  /** For `no-role`: the roles any of which would let the user in. */
  neededRoles?: readonly string[];
  /** For `no-role` and `groups-unresolved`: where the mapped groups came from, for the audit entry. */
  groupsSource?: GroupsReading['source'];
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

/**
 * The tenant an account lives in, from every signal the sign-in carries, each of which must
 * agree with membership: `client_info`'s `utid` (always sent when asked, whatever optional claims
 * are configured), the `idp` claim (a tenant's STS URI, or `live.com` = consumers), and the
 * issuer's tenant. Returns every distinct home tenant named, lower-case.
 */
export function homeTenantsOf(ctx: Pick<AccountCheckContext, 'claims' | 'home'>): Set<string> {
  const homes = new Set<string>();
  if (ctx.home) homes.add(ctx.home.tenantId);
  const idp = claimString(ctx.claims, 'idp');
  if (idp !== undefined) homes.add(idp.toLowerCase() === 'live.com' ? PERSONAL_ACCOUNT_TENANT : (tenantOfIssuer(idp) ?? idp.toLowerCase()));
  return homes;
}
