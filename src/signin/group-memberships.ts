/**
 * The groups to match against the group mapping of service-roles.yaml, for one person's verified
 * token (an ID token at browser sign-in, an access token on the administrator API).
 *
 * The token's `groups` claim when it has one. When Entra sent the overage indicator instead (the
 * person is in more than 200 groups; access/token-groups.ts), Elevate asks Microsoft Graph, with
 * its own app-only credential, which of the mapped groups the person is a transitive member of:
 * POST /v1.0/directoryObjects/{oid}/checkMemberGroups, at most 20 ids a call
 * (azure/graph-member-groups.ts; https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups).
 *
 * Why look it up rather than refuse: the overage says nothing about any group, so "no role" would
 * be a guess, and Microsoft's documented remedy is to ask Graph
 * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference, "Groups
 * overage claim"). Elevate already holds what that needs: the GroupMember.Read.All application
 * permission (it checks an agent's groups against deny assignments the same way) and one Graph
 * client on the Azure SDK pipeline. The question is narrow (only the mapped groups, about the
 * `oid` of a token that passed validation), and the answer is the directory's current one.
 * Graph is asked only when it can change the outcome: not when no role is mapped to groups, and
 * not when the app roles already grant every role a group could.
 *
 * Why not the token's `_claim_sources` endpoint: it is an Azure AD Graph URL (graph.windows.net,
 * retired), and a service should build its own Microsoft Graph call instead (same page); Elevate
 * never sends its credential to a URL a token names.
 *
 * When Graph does not answer (no permission, throttled, down), the reading is `unreadable` and the
 * sign-in or API call is refused with that reason (account-checks/groups-read-check.ts): fail
 * closed, and say why.
 */
import type { TokenCredential } from '@azure/core-auth';
import { rolesFromClaims } from '../access/roles-from-claims.ts';
import type { TokenGroups } from '../access/token-groups.ts';
import type { AzureEndpoints } from '../azure/azure-endpoints.ts';
import { createGraphMemberGroupsCheck, type MemberGroupsCheck } from '../azure/graph-member-groups.ts';
import type { Logger } from '../observability/logger.ts';
import type { ServiceRolesPolicy } from '../policies/service-roles-schema.ts';
import type { GroupsReading } from './account-checks/account-check.ts';

export interface GroupMemberships {
  /** Lower-cased group object ids to match against the mapping. */
  groups: string[];
  reading: GroupsReading;
}

export interface GroupMembershipDeps {
  policies: { serviceRoles: ServiceRolesPolicy };
  /** checkMemberGroups with Elevate's own credential (createGroupLookup). */
  memberGroups: MemberGroupsCheck;
  logger?: Logger | undefined;
}

/**
 * The Graph look-up for sign-ins and API calls: a person is waiting, so two quick retries and a
 * 10 s bound per call rather than the pipeline's defaults.
 */
export function createGroupLookup(credential: TokenCredential, endpoints: Pick<AzureEndpoints, 'graphEndpoint' | 'graphScope'>): MemberGroupsCheck {
  return createGraphMemberGroupsCheck(credential, endpoints, { retryOptions: { maxRetries: 2, retryDelayInMs: 300, maxRetryDelayInMs: 3_000 }, timeoutMs: 10_000 });
}

export async function groupMemberships(token: TokenGroups, who: { oid: string; appRoles: readonly string[] | undefined }, deps: GroupMembershipDeps): Promise<GroupMemberships> {
  if (token.kind === 'listed') return { groups: token.groups.map((g) => g.toLowerCase()), reading: { source: 'listed' } };
  const mapped = deps.policies.serviceRoles.roles.filter((r) => r.principalType === 'user' && r.groups.length > 0);
  if (mapped.length === 0) return { groups: [], reading: { source: 'unmapped' } };
  if (token.kind === 'absent') return { groups: [], reading: { source: 'absent' } };

  const held = new Set(rolesFromClaims({ roles: who.appRoles, principalType: 'user' }, deps.policies).map((r) => r.id));
  const wanted = [...new Set(mapped.filter((r) => !held.has(r.id)).flatMap((r) => r.groups))];
  if (wanted.length === 0) return { groups: [], reading: { source: 'not-needed' } };
  try {
    return { groups: await deps.memberGroups(who.oid, wanted), reading: { source: 'looked-up' } };
  } catch (err) {
    const why = err instanceof Error ? (err.message.split('\n')[0] ?? err.name).slice(0, 200) : 'unknown error';
    deps.logger?.warn({ oid: who.oid, why }, 'token carried the group overage indicator and Microsoft Graph could not say which mapped groups the person is in');
    return { groups: [], reading: { source: 'unreadable', why } };
  }
}
