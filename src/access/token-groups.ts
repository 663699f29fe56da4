/**
 * What a verified Entra token says about its subject's groups. Three cases, and only the first is
 * a list Elevate may match against its group mapping (service-roles.yaml):
 *
 * - `listed`: the `groups` claim, object ids (the app registration's groupMembershipClaims).
 * - `overage`: the user is in more groups than a token holds (200 in a JWT), so Entra left
 *   `groups` out and sent the overage indicator: `_claim_names: {"groups": "src1"}` with a
 *   `_claim_sources` endpoint, or, in implicit and hybrid flows only, `hasgroups: true`. The token
 *   then proves nothing about any one group; membership has to come from Microsoft Graph.
 * - `absent`: neither. Entra sends no `groups` claim when the registration's groupMembershipClaims
 *   is null (a new registration's value) or when the user is in none of the groups it selects.
 *
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference (groups,
 * hasgroups, groups:src1, "Groups overage claim")
 */
export type TokenGroups = { kind: 'listed'; groups: string[] } | { kind: 'overage' } | { kind: 'absent' };

export function tokenGroups(claims: Readonly<Record<string, unknown>>): TokenGroups {
  // A list wins: Entra never sends both, and a signed list is what the token asserts.
  if (Array.isArray(claims.groups)) return { kind: 'listed', groups: claims.groups.filter((g): g is string => typeof g === 'string') };
  const names = claims._claim_names;
  const distributed = typeof names === 'object' && names !== null && !Array.isArray(names) && Object.hasOwn(names, 'groups');
  if (distributed || claims.hasgroups === true) return { kind: 'overage' };
  return { kind: 'absent' };
}
