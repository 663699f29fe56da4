import type { RoleAssignment as SdkRoleAssignment, RoleDefinition as SdkRoleDefinition } from '@azure/arm-authorization';
import type { RoleAssignment, RoleDefinition } from '../rbac/rbac-types.ts';
import type { LevelArmClients } from './arm-level-clients.ts';
import type { ActualState } from './plan-core.ts';

export interface AssignmentReader {
  /**
   * Everything that reaches the principal in these subscriptions: assignments at, above
   * (management groups) and below (resource groups) each subscription, made to it or to a group
   * it belongs to; plus the definitions of roles the catalog does not know (custom roles).
   */
  read(principalId: string, subscriptionIds: readonly string[], knownRoleGuids: ReadonlySet<string>): Promise<ActualState & { extraRoles: RoleDefinition[] }>;
}

const MG_SCOPE = /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)$/i;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const roleGuid = (id: string) => id.slice(id.lastIndexOf('/') + 1).toLowerCase();
const strings = (v: string[] | undefined) => (Array.isArray(v) ? [...v] : []);

function toAssignment(a: SdkRoleAssignment): RoleAssignment | undefined {
  if (!a.id || !a.scope || !a.roleDefinitionId || !a.principalId) return undefined;
  return {
    id: a.id,
    name: a.name,
    scope: a.scope,
    roleDefinitionId: a.roleDefinitionId,
    principalId: a.principalId,
    principalType: a.principalType,
    description: a.description ?? null,
    condition: a.condition ?? null,
    conditionVersion: a.conditionVersion ?? null,
  };
}

function toRole(r: SdkRoleDefinition): RoleDefinition | undefined {
  if (!r.id || !r.name) return undefined;
  return {
    id: r.id,
    name: r.name,
    roleName: r.roleName ?? r.name,
    roleType: r.roleType,
    permissions: (r.permissions ?? []).map((p) => ({
      actions: strings(p.actions),
      notActions: strings(p.notActions),
      dataActions: strings(p.dataActions),
      notDataActions: strings(p.notDataActions),
    })),
    assignableScopes: strings(r.assignableScopes),
  };
}

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
          const a = toAssignment(raw);
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
      for (const a of assignments) if (!knownRoleGuids.has(roleGuid(a.roleDefinitionId))) unknown.set(roleGuid(a.roleDefinitionId), a.roleDefinitionId);
      for (const id of unknown.values()) {
        const sub = /^\/subscriptions\/([^/]+)/i.exec(id)?.[1] ?? subscriptionIds[0];
        if (!sub) continue;
        // Without the leading '/': the SDK adds its own (see arm-assignment-writer.ts).
        const role = toRole(await clients.authorization(sub).roleDefinitions.getById(id.replace(/^\/+/, '')));
        if (role) extraRoles.push(role);
      }
      return { assignments, groupIds, hierarchy, extraRoles };
    },
  };
}
