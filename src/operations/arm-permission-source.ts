/**
 * Reads what one principal holds in one subscription from ARM, through @azure/arm-authorization,
 * and shapes it as the RBAC evaluator's `AuthorizationState`. Per load: one (paged) list of the
 * role assignments that reach the principal (`assignedTo()` includes those made to its groups
 * and those inherited from management groups), one (paged) list of every deny assignment at,
 * above (management groups included) and below the subscription, one GET per distinct role
 * definition the assignments use, and — when a deny assignment names groups — one Graph
 * checkMemberGroups per 20 of them.
 *
 * Deny assignments apply at their scope and below, to the principals they name directly or
 * through group membership, except the excluded ones (also directly or through a group); they
 * do so whether or not the principal holds any role there or the group holds any role at all.
 * https://learn.microsoft.com/en-us/azure/role-based-access-control/deny-assignments
 * So the management groups above the subscription come from deny assignments as well as role
 * assignments, and group membership from Graph, not only from `assignedTo()`.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import { roleGuidOf } from '../rbac/compiled-role.ts';
import { fromSdkDenyAssignment, fromSdkRoleAssignment, fromSdkRoleDefinition } from '../azure/sdk-authorization-shapes.ts';
import type { MemberGroupsCheck } from '../azure/graph-member-groups.ts';
import { ALL_PRINCIPALS_ID } from '../rbac/rbac-evaluator.ts';
import type { DenyAssignment, RoleAssignment, RoleDefinition } from '../rbac/rbac-types.ts';
import type { PermissionSource } from './permission-cache.ts';

export const PERMISSION_CACHE_PURPOSE = 'permission-cache';

export interface ArmPermissionSourceOptions {
  /** An authorization client for the subscription (governance credential or the UAMI's own). */
  clientFor(subscriptionId: string): AuthorizationManagementClient;
  /** The built-in role catalog: what `wouldBeGrantedBy` suggests from. Live definitions win. */
  catalogRoles: readonly RoleDefinition[];
  /** Counts each ARM request a load costs (elevate_arm_requests_total{purpose="permission-cache"}). */
  countArmRequest?: (status: string) => void;
  /**
   * Which of some groups the principal is a member of (Microsoft Graph). Without it, a load whose
   * deny assignments name a group not already known from `assignedTo()` fails (closed).
   */
  memberGroups?: MemberGroupsCheck;
}

export class GroupMembershipUnknownError extends Error {
  override name = 'GroupMembershipUnknownError';
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MG_SCOPE = /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)$/i;

/** A pipeline policy that counts every HTTP request the SDK client sends (pages, retries). */
export function armRequestCountingPolicy(count: (status: string) => void): PipelinePolicy {
  return {
    name: 'elevatePermissionCacheCounter',
    async sendRequest(request, next) {
      try {
        const response = await next(request);
        count(String(response.status));
        return response;
      } catch (err) {
        count('error');
        throw err;
      }
    },
  };
}


async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of pages) out.push(item);
  return out;
}

export function createArmPermissionSource(options: ArmPermissionSourceOptions): PermissionSource {
  return {
    async load(principalId, subscriptionId) {
      if (!GUID.test(principalId) || !GUID.test(subscriptionId)) throw new Error('principal and subscription must be GUIDs');
      const client = options.clientFor(subscriptionId);
      // list() without a filter: every deny assignment at, above and below the subscription
      const [rawAssignments, rawDenies] = await Promise.all([
        collect(client.roleAssignments.listForSubscription({ filter: `assignedTo('${principalId}')` })),
        collect(client.denyAssignments.list()),
      ]);
      const assignments = rawAssignments.map(fromSdkRoleAssignment).filter((a): a is RoleAssignment => a !== undefined);

      const byGuid = new Map<string, RoleDefinition>();
      for (const role of options.catalogRoles) byGuid.set(role.name.toLowerCase(), role);
      const referenced = [...new Map(assignments.map((a) => [roleGuidOf(a.roleDefinitionId), a.roleDefinitionId])).values()];
      const fetched = await Promise.all(referenced.map((id) => client.roleDefinitions.getById(id)));
      for (const raw of fetched) {
        const role = fromSdkRoleDefinition(raw);
        if (role) byGuid.set(role.name.toLowerCase(), role);
      }

      const denyAssignments = rawDenies.map(fromSdkDenyAssignment).filter((d): d is DenyAssignment => d !== undefined);

      // assignedTo() returns assignments made to the principal's groups too: the principals it
      // names other than the caller are groups the caller is a member of.
      const me = principalId.toLowerCase();
      const known = new Set(assignments.map((a) => a.principalId.toLowerCase()).filter((p) => p !== me));
      // Groups a deny assignment names (to deny or to exclude) may hold no role: ask Graph.
      const named = new Set<string>();
      for (const d of denyAssignments) {
        for (const p of [...d.principals, ...(d.excludePrincipals ?? [])]) {
          const id = p.id.toLowerCase();
          if (id === me || id === ALL_PRINCIPALS_ID || known.has(id)) continue;
          if (p.type === undefined || p.type.toLowerCase() === 'group') named.add(id);
        }
      }
      if (named.size > 0) {
        if (!options.memberGroups) throw new GroupMembershipUnknownError(`deny assignments name ${named.size} group(s) whose membership cannot be checked without Microsoft Graph`);
        for (const g of await options.memberGroups(principalId, [...named])) known.add(g.toLowerCase());
      }
      const groupIds = [...known];
      // Scopes at management-group level in either list are, by ARM's answer, above this subscription.
      const managementGroups = [...new Set([...assignments, ...denyAssignments].map((a) => MG_SCOPE.exec(a.scope)?.[1]).filter((m): m is string => m !== undefined))];

      return {
        roles: [...byGuid.values()],
        assignments,
        denyAssignments,
        groups: { [me]: groupIds, [principalId]: groupIds },
        hierarchy: { [subscriptionId.toLowerCase()]: managementGroups },
      };
    },
  };
}
