/**
 * Who is calling Elevate's administrator API with a delegated access token (pure): the same
 * account checks as a browser sign-in (account-checks/), run on the access token's claims, plus
 * what only an API caller needs: a delegated token (`scp`, not an app-only token) carrying
 * Elevate's `user_impersonation` scope.
 *
 * One check differs. A browser sign-in also proves the account's home directory with the token
 * response's `client_info` (homeTenantCheck), which an API never sees: it receives only the
 * bearer token. Guests and personal accounts are still recognised by their token, because Entra
 * puts `idp` (the home tenant's STS URI, or live.com) in every token of an account whose home is
 * not the issuing tenant, and `acct` = 1 when the app registration asks for that optional claim.
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 * The gap: a claims-mapping policy that removed `idp` from Elevate's tokens would make a guest
 * look like a member here (the README says not to).
 *
 * Groups come in as `memberships`, read by the caller (group-memberships.ts): the token's `groups`
 * claim, or Microsoft Graph's answer when the token carried the overage indicator instead.
 */
import { rolesFromClaims } from '../access/roles-from-claims.ts';
import type { ApiTokenClaims } from '../azure/api-token-validator.ts';
import type { ServiceRolesPolicy } from '../policies/service-roles-schema.ts';
import type { SessionUser } from '../sessions/session-data.ts';
import { ACCOUNT_CHECKS, runAccountChecks } from './account-checks/account-check-pipeline.ts';
import { PERSONAL_ACCOUNT_TENANT, tenantOfIssuer, type AccountCheck } from './account-checks/account-check.ts';
import { homeTenantCheck } from './account-checks/home-tenant-check.ts';
import { abilityForUser } from './access-control.ts';
import type { GroupMemberships } from './group-memberships.ts';

export const API_DELEGATED_SCOPE = 'user_impersonation';

const API_ACCOUNT_CHECKS: readonly AccountCheck[] = ACCOUNT_CHECKS.filter((c) => c !== homeTenantCheck);

export type DelegatedCallerRefusal = { ok: false; status: 403; code: string; message: string };
export type DelegatedCallerResult = { ok: true; user: SessionUser } | DelegatedCallerRefusal;

/** The account's home tenant as the token names it: `idp`'s tenant, live.com = consumers, else the token's tenant. */
function homeTenantOf(claims: ApiTokenClaims): string {
  if (claims.idp === undefined) return claims.tid.toLowerCase();
  if (claims.idp.toLowerCase() === 'live.com') return PERSONAL_ACCOUNT_TENANT;
  return tenantOfIssuer(claims.idp) ?? claims.idp.toLowerCase();
}

/** Refusals that need nothing but the token: not a person's delegated token, or not for Elevate's scope. */
export function delegatedTokenRefusal(claims: ApiTokenClaims): DelegatedCallerRefusal | undefined {
  if (claims.principalType !== 'user' || (claims.idtyp !== undefined && claims.idtyp !== 'user')) {
    return { ok: false, status: 403, code: 'not_delegated', message: "the administrator API accepts a person's delegated token (with scp), not an app-only token" };
  }
  if (!claims.scopes.includes(API_DELEGATED_SCOPE)) {
    return { ok: false, status: 403, code: 'insufficient_scope', message: `the token lacks Elevate's ${API_DELEGATED_SCOPE} scope` };
  }
  return undefined;
}

export function delegatedApiCaller(
  claims: ApiTokenClaims,
  ctx: { tenantId: string; policies: { serviceRoles: ServiceRolesPolicy }; nowSeconds: number; memberships: GroupMemberships },
): DelegatedCallerResult {
  const notDelegated = delegatedTokenRefusal(claims);
  if (notDelegated) return notDelegated;
  // Groups too, as at browser sign-in: an administrator by group mapping approves from the CLI as in the browser.
  const roles = rolesFromClaims({ roles: claims.roles, groups: ctx.memberships.groups, principalType: 'user' }, ctx.policies);
  const refusal = runAccountChecks(
    {
      claims: { iss: claims.issuer, tid: claims.tid, oid: claims.oid, idp: claims.idp, acct: claims.acct, roles: claims.roles },
      home: undefined,
      tenantId: ctx.tenantId,
      // the validator accepted only the tenant's issuers (v2, and v1 for tenants whose registration issues v1 tokens)
      issuer: claims.issuer,
      roles: roles.map((r) => r.id),
      roleNames: ctx.policies.serviceRoles.roles.filter((r) => r.principalType === 'user').map((r) => r.displayName),
      groups: ctx.memberships.reading,
    },
    API_ACCOUNT_CHECKS,
  );
  if (refusal) return { ok: false, status: 403, code: refusal.reason, message: refusal.explanation };
  const upn = claims.upn ?? claims.preferredUsername ?? claims.oid;
  const user: SessionUser = {
    oid: claims.oid.toLowerCase(),
    tid: claims.tid.toLowerCase(),
    upn: upn.slice(0, 256),
    name: (claims.name ?? upn).slice(0, 256),
    roles: roles.map((r) => r.id),
    authTime: claims.authTime ?? null,
    signedInAt: ctx.nowSeconds,
    homeTenantId: homeTenantOf(claims),
  };
  if (!abilityForUser(user, ctx.policies).can('approve', 'Approval')) {
    return { ok: false, status: 403, code: 'not_administrator', message: 'Only an SRE Agent Administrator may use the administrator API.' };
  }
  return { ok: true, user };
}
