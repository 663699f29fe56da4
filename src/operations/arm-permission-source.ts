/**
 * Reads what one principal holds in one subscription from ARM, through @azure/arm-authorization,
 * and shapes it as the RBAC evaluator's `AuthorizationState`. Per load: one (paged) list of the
 * role assignments that reach the principal (`assignedTo()` includes those made to its groups
 * and those inherited from management groups), one list of deny assignments, and one GET per
 * distinct role definition those assignments use.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import { roleGuidOf } from '../rbac/compiled-role.ts';
import { fromSdkDenyAssignment, fromSdkRoleAssignment, fromSdkRoleDefinition } from '../azure/sdk-authorization-shapes.ts';
import type { AuthorizationState, DenyAssignment, RoleAssignment, RoleDefinition } from '../rbac/rbac-types.ts';
import type { PermissionSource } from './permission-cache.ts';

export const PERMISSION_CACHE_PURPOSE = 'permission-cache';

export interface ArmPermissionSourceOptions {
  /** An authorization client for the subscription (governance credential or the UAMI's own). */
  clientFor(subscriptionId: string): AuthorizationManagementClient;
  /** The built-in role catalog: what `wouldBeGrantedBy` suggests from. Live definitions win. */
  catalogRoles: readonly RoleDefinition[];
  /** Counts each ARM request a load costs (elevate_arm_requests_total{purpose="permission-cache"}). */
  countArmRequest?: (status: string) => void;
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

      // assignedTo() returns assignments made to the principal's groups too: the principals it
      // names other than the caller are groups the caller is a member of.
      const me = principalId.toLowerCase();
      const groupIds = [...new Set(assignments.map((a) => a.principalId.toLowerCase()).filter((p) => p !== me))];
      // and those at management-group scope are, by ARM's answer, above this subscription.
      const managementGroups = [...new Set(assignments.map((a) => MG_SCOPE.exec(a.scope)?.[1]).filter((m): m is string => m !== undefined))];

      return {
        roles: [...byGuid.values()],
        assignments,
        denyAssignments: rawDenies.map(fromSdkDenyAssignment).filter((d): d is DenyAssignment => d !== undefined),
        groups: { [me]: groupIds, [principalId]: groupIds },
        hierarchy: { [subscriptionId.toLowerCase()]: managementGroups },
      };
    },
  };
}
