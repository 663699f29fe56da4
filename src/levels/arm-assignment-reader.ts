import { roleGuidOf } from '../rbac/compiled-role.ts';
import { fromSdkRoleAssignment, fromSdkRoleDefinition } from '../azure/sdk-authorization-shapes.ts';
import type { RoleAssignment, RoleDefinition } from '../rbac/rbac-types.ts';
import type { LevelArmClients } from './arm-level-clients.ts';
import type { ActualState } from './plan-core.ts';

export interface AssignmentReader {
  /**
   * Everything that reaches the principal in these subscriptions: assignments at, above
   * (management groups) and below (resource groups and resources) each subscription, made to it or to a group
   * it belongs to; plus the definitions of roles the catalog does not know (custom roles).
   */
  read(principalId: string, subscriptionIds: readonly string[], knownRoleGuids: ReadonlySet<string>): Promise<ActualState & { extraRoles: RoleDefinition[] }>;
}

const MG_SCOPE = /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function createArmAssignmentReader(clients: LevelArmClients): AssignmentReader {
  return {
    async read(principalId, subscriptionIds, knownRoleGuids) {
      if (!GUID.test(principalId)) throw new Error('principal id must be a GUID');
      const byId = new Map<string, RoleAssignment>();
      const hierarchy: Record<string, string[]> = {};
      for (const sub of subscriptionIds) {
        const client = clients.authorization(sub);
        const mgs = new Set<string>();
        for await (const raw of client.roleAssignments.listForSubscription({ filter: `assignedTo('${principalId}')` })) {
          const a = fromSdkRoleAssignment(raw);
          if (!a) continue;
          byId.set(a.id.toLowerCase(), a);
          // ARM returned it for this subscription, so a management group scope is above it.
          const mg = MG_SCOPE.exec(a.scope)?.[1];
          if (mg) mgs.add(mg);
        }
        hierarchy[sub.toLowerCase()] = [...mgs];
      }
      const assignments = [...byId.values()];
      const me = principalId.toLowerCase();
      // assignedTo() also returns assignments made to the principal's groups.
      const groupIds = [...new Set(assignments.map((a) => a.principalId.toLowerCase()).filter((p) => p !== me))];

      const extraRoles: RoleDefinition[] = [];
      const unknown = new Map<string, string>();
      for (const a of assignments) if (!knownRoleGuids.has(roleGuidOf(a.roleDefinitionId))) unknown.set(roleGuidOf(a.roleDefinitionId), a.roleDefinitionId);
      for (const id of unknown.values()) {
        const sub = /^\/subscriptions\/([^/]+)/i.exec(id)?.[1] ?? subscriptionIds[0];
        if (!sub) continue;
        // Without the leading '/': the SDK adds its own (see arm-assignment-writer.ts).
        const role = fromSdkRoleDefinition(await clients.authorization(sub).roleDefinitions.getById(id.replace(/^\/+/, '')));
        if (role) extraRoles.push(role);
      }
      return { assignments, groupIds, hierarchy, extraRoles };
    },
  };
}
