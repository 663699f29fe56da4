import type { JWTPayload } from 'jose';
import type { Directory, DirectoryApplication, DirectoryUser } from '../state/directory.ts';

/**
 * The group claims of a user's token, as Entra builds them from one app registration's
 * `groupMembershipClaims` (seed/group-membership-claims.ts): the client's registration for its ID
 * token, the resource's registration for an access token issued for the tenant's own API.
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference (groups,
 * groups:src1, "Groups overage claim")
 * https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference#groups-overage-claim
 *
 * - Setting null (a new registration), "None" or "DirectoryRole": no `groups` claim at all.
 * - Otherwise `groups` lists the object ids of the user's groups that the setting selects. A user
 *   in none gets no claim ("Claims are present only if a value exists to fill it").
 * - More than 200 of them (the JWT limit; 150 is SAML's): no `groups` claim. Instead the overage
 *   indicator, a distributed claim pointing at the user's memberships:
 *     "_claim_names": { "groups": "src1" },
 *     "_claim_sources": { "src1": { "endpoint": "https://graph.windows.net/{tid}/users/{oid}/getMemberObjects" } }
 *   The same shape in ID and access tokens, v1 and v2: the doc notes "The URL returned will be an
 *   Azure AD Graph URL (i.e., graph.windows.net)" and tells services not to rely on it but to ask
 *   Microsoft Graph themselves. The sandbox points at the real host, as Entra does; nothing should
 *   fetch it (and in tests the no-egress guard would refuse).
 * - `hasgroups: true` replaces `groups` only in the implicit and hybrid flows (from six groups, for
 *   the URL fragment's length). The sandbox serves `response_type=code` only, so it never sends it.
 *
 * First-party resources (ARM, Graph) are Microsoft's registrations, which no tenant setting
 * governs; the sandbox gives their access tokens no group claims (nothing reads them there: the
 * sandbox's ARM and Graph read membership from the directory).
 */

/** Entra's limit on object ids in a JWT's `groups` claim. */
export const JWT_GROUPS_LIMIT = 200;

export function groupClaims(directory: Directory, user: DirectoryUser, app: DirectoryApplication | undefined): JWTPayload {
  const setting = app?.groupMembershipClaims ?? null;
  if (!app || setting === null || setting === 'None' || setting === 'DirectoryRole') return {};
  const mine = new Set(directory.groupIdsOf(user.oid));
  const listed = directory.groups
    .filter((g) => mine.has(g.id))
    .filter((g) => setting === 'All' || (setting === 'SecurityGroup' && g.securityEnabled) || (setting === 'ApplicationGroup' && directory.isAssignedTo(g.id, app.clientId)))
    .map((g) => g.id);
  if (listed.length === 0) return {};
  if (listed.length > JWT_GROUPS_LIMIT) {
    return {
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: `https://graph.windows.net/${user.tokenTenantId}/users/${user.oid}/getMemberObjects` } },
    };
  }
  return { groups: listed };
}
