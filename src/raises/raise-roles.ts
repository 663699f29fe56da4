import { uuidV5 } from '../levels/assignment-name.ts';
import { desiredAssignments, type DesiredRolesFn, type RoleByName } from '../levels/desired-assignments.ts';
import type { ResourceGroupInventory } from '../levels/level-types.ts';
import type { PermissionLevel } from '../policies/policy-types.ts';
import type { RaiseGrant } from './raise-types.ts';

/** Fixed namespace for raise grant names (a random v4 chosen once, never to change). */
export const RAISE_NAMESPACE = '8a3b1f5e-6c2d-4e9a-b7f1-2d4c6e8a0b13';

/** The deterministic name of one grant: the same raise, role and scope always give the same GUID. */
export function grantName(raiseId: string, roleGuid: string, scope: string): string {
  return uuidV5([raiseId, roleGuid, scope.replace(/\/+$/, '')].map((s) => s.toLowerCase()).join('|'), RAISE_NAMESPACE);
}

/**
 * What a raise adds: the role assignments the target level wants on the raised groups that the
 * agent's own level does not already want. The same policy and inventory as level enforcement, so
 * a raise to Privileged grants exactly what a permanent Privileged agent would hold there.
 */
export function raiseGrants(input: {
  raiseId: string;
  agent: { id: string; name: string; uamiPrincipalId: string; level: PermissionLevel };
  resourceGroupIds: readonly string[];
  targetLevel: PermissionLevel;
  inventory: ReadonlyMap<string, ResourceGroupInventory>;
  desiredRoles: DesiredRolesFn;
  roleByName: RoleByName;
}): { grants: RaiseGrant[]; unknownScopes: string[] } {
  const base = { id: input.agent.id, name: input.agent.name, uamiPrincipalId: input.agent.uamiPrincipalId, resourceGroupIds: [...input.resourceGroupIds] };
  const common = { inventory: input.inventory, desiredRoles: input.desiredRoles, roleByName: input.roleByName };
  const now = desiredAssignments({ agent: { ...base, level: input.agent.level }, ...common });
  const raised = desiredAssignments({ agent: { ...base, level: input.targetLevel }, ...common });
  const held = new Set(now.desired.map((d) => `${d.roleDefinitionGuid}|${d.scope.toLowerCase()}`));
  const grants = raised.desired
    .filter((d) => !held.has(`${d.roleDefinitionGuid}|${d.scope.toLowerCase()}`))
    .map(
      (d): RaiseGrant => ({
        roleName: d.roleName,
        roleGuid: d.roleDefinitionGuid,
        roleDefinitionId: d.roleDefinitionId,
        scope: d.scope,
        name: grantName(input.raiseId, d.roleDefinitionGuid, d.scope),
        status: 'planned',
      }),
    );
  return { grants, unknownScopes: raised.unknownScopes };
}
