/**
 * Who is calling the administrator API (/api/v1/requests): a person's delegated access token for
 * Elevate's API, validated exactly as the agent API validates tokens (signature against the
 * tenant's keys, issuer, tenant, audience, expiry: api-token-validator.ts), then the browser
 * sign-in's account checks and the Administrator role (signin/delegated-api-caller.ts). Every
 * refusal is a clear 401/403, changes nothing, and is audited (`api.auth.refused`) like the agent
 * API's. The token is never stored, logged or echoed; the route that needs it (the elevation's
 * fresh token) gets it for the one call. A token with the group overage indicator instead of
 * `groups` has its mapped groups looked up in Microsoft Graph, as at browser sign-in
 * (signin/group-memberships.ts); when Graph cannot answer, the call is refused as
 * `groups-unresolved`.
 */
import type { Request } from 'express';
import type { ApiTokenClaims, ApiTokenValidator } from '../../azure/api-token-validator.ts';
import { bearerClaims } from '../../azure/bearer-claims.ts';
import type { MemberGroupsCheck } from '../../azure/graph-member-groups.ts';
import type { Logger } from '../../observability/logger.ts';
import { authRefusedEntry } from '../../operations/operation-audit.ts';
import type { AuditSink } from '../../operations/request-lifecycle.ts';
import type { ServiceRolesPolicy } from '../../policies/service-roles-schema.ts';
import type { SessionUser } from '../../sessions/session-data.ts';
import { delegatedApiCaller, delegatedTokenRefusal } from '../../signin/delegated-api-caller.ts';
import { groupMemberships } from '../../signin/group-memberships.ts';

export interface AdminAuthDeps {
  validateToken: ApiTokenValidator;
  policies: { serviceRoles: ServiceRolesPolicy };
  tenantId: string;
  /** Microsoft Graph's checkMemberGroups with Elevate's credential, for the group overage (group-memberships.ts). */
  memberGroups: MemberGroupsCheck;
  audit: AuditSink;
  clock?: () => Date;
  logger?: Logger | undefined;
}

export type AdminAuthResult =
  | { ok: true; user: SessionUser; claims: ApiTokenClaims; token: string }
  | { ok: false; status: 401 | 403 | 503; code: string; message: string };

export function createAdminAuthenticator(deps: AdminAuthDeps) {
  const clock = deps.clock ?? (() => new Date());
  const refuse = async (status: 401 | 403, code: string, message: string, who: { oid?: string; clientAppId?: string } = {}): Promise<AdminAuthResult> => {
    await deps.audit
      .append(authRefusedEntry(code, message, who))
      .catch((err: unknown) => deps.logger?.error({ err }, 'audit append of an administrator API refusal failed'));
    return { ok: false, status, code, message };
  };

  return async function authenticate(req: Request): Promise<AdminAuthResult> {
    const bearer = await bearerClaims(req.headers.authorization, deps.validateToken);
    if (!bearer.ok) {
      if (bearer.problem === 'missing') return refuse(401, 'unauthorized', "a person's bearer access token for Elevate's API is required (elevate requests signs in with the device code flow)");
      if (bearer.problem === 'keys_unavailable') return { ok: false, status: 503, code: 'keys_unavailable', message: 'the tenant signing keys could not be loaded; try again' };
      return refuse(401, 'invalid_token', bearer.problem === 'not_bearer' ? 'the Authorization header is not a bearer token' : `invalid token: ${bearer.message}`);
    }
    const { claims, token } = bearer;
    const who = { oid: claims.oid, clientAppId: claims.clientAppId };
    // Nothing is looked up for a token refused on its face.
    const notDelegated = delegatedTokenRefusal(claims);
    if (notDelegated) return refuse(notDelegated.status, notDelegated.code, notDelegated.message, who);
    const memberships = await groupMemberships(claims.groupClaim ?? { kind: 'absent' }, { oid: claims.oid, appRoles: claims.roles }, deps);
    const caller = delegatedApiCaller(claims, { tenantId: deps.tenantId, policies: deps.policies, nowSeconds: Math.floor(clock().getTime() / 1000), memberships });
    if (!caller.ok) return refuse(caller.status, caller.code, caller.message, who);
    return { ok: true, user: caller.user, claims, token };
  };
}

export type AdminAuthenticator = ReturnType<typeof createAdminAuthenticator>;
