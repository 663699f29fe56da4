import type { ServiceRole, ServiceRolesPolicy } from '../policies/service-roles-schema.ts';

export interface AccessClaims {
  /** The token's `roles` claim: app role values. */
  roles?: readonly string[] | undefined;
  /** The token's `groups` claim: group object ids. */
  groups?: readonly string[] | undefined;
  /**
   * Who the token is for. Defaults to `user`. Roles marked `app` in the policy are honoured only
   * for `app`, and `user` roles only for `user`, so a misassigned app role cannot turn a daemon
   * into an approver or a person into the SIEM reader.
   */
  principalType?: 'user' | 'app' | undefined;
}

/**
 * The service roles a signed-in principal holds, in policy order. App role values match exactly
 * (Entra emits them as defined); group ids match case-insensitively. Anything that is not a
 * string array is ignored, never thrown on: the caller has already verified the token, and an odd
 * claim shape should grant nothing rather than fail the request.
 */
export function rolesFromClaims(claims: AccessClaims, policies: { serviceRoles: ServiceRolesPolicy }): ServiceRole[] {
  const principalType = claims.principalType === 'app' ? 'app' : 'user';
  const appRoles = new Set(stringsOf(claims.roles));
  const groups = new Set(stringsOf(claims.groups).map((g) => g.toLowerCase()));
  return policies.serviceRoles.roles.filter(
    (role) =>
      role.principalType === principalType &&
      (appRoles.has(role.appRole) || role.groups.some((g) => groups.has(g))),
  );
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
