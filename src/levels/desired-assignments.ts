import type { PermissionLevel } from '../policies/policy-types.ts';
import type { RoleDefinition } from '../rbac/rbac-types.ts';
import { parseResourceGroupId, subscriptionScope } from '../agents/resource-group-id.ts';
import { assignmentName } from './assignment-name.ts';
import type { DesiredAssignment, PlanAgent, PlanNote, ResourceGroupInventory } from './level-types.ts';

/** The policy question "which roles does this level need for these types", already bound to the loaded policies. */
export type DesiredRolesFn = (
  level: PermissionLevel,
  resourceTypes: string[],
) => { resourceGroupRoles: string[]; subscriptionRoles: string[] };

/** Looks a role up by its roleName in the catalog (built-in and custom). */
export type RoleByName = (roleName: string) => RoleDefinition | undefined;

export class DesiredRoleError extends Error {
  override name = 'DesiredRoleError';
}

export interface DesiredResult {
  desired: DesiredAssignment[];
  /** Resource groups whose inventory failed: their type roles are unknown, so nothing there may be deleted. */
  unknownScopes: string[];
  notes: PlanNote[];
}

/**
 * What the agent's UAMI should hold: per managed group the preconfigured roles plus the roles the
 * group's resource types need at the agent's level, and the subscription roles on each
 * subscription that holds a managed group. No group, no roles at all.
 */
export function desiredAssignments(input: {
  agent: PlanAgent;
  inventory: ReadonlyMap<string, ResourceGroupInventory>;
  desiredRoles: DesiredRolesFn;
  roleByName: RoleByName;
}): DesiredResult {
  const { agent, inventory, desiredRoles, roleByName } = input;
  const out = new Map<string, DesiredAssignment>();
  const notes: PlanNote[] = [];
  const unknownScopes: string[] = [];
  const baseline = desiredRoles(agent.level, []);
  const baselineRg = new Set(baseline.resourceGroupRoles.map(lower));
  const baselineSub = new Set(baseline.subscriptionRoles.map(lower));
  const subscriptions = new Map<string, string>();

  const add = (roleName: string, scope: string, subscriptionId: string, scopeKind: DesiredAssignment['scopeKind'], type?: string) => {
    const role = roleByName(roleName);
    if (!role) throw new DesiredRoleError(`policy names role '${roleName}', which is not in the role catalog`);
    const key = `${role.name.toLowerCase()}|${scope.toLowerCase()}`;
    const existing = out.get(key);
    if (existing) {
      if (type && existing.reason.kind === 'resource-type' && !existing.reason.resourceTypes.includes(type)) existing.reason.resourceTypes.push(type);
      return;
    }
    out.set(key, {
      name: assignmentName(agent.uamiPrincipalId, role.name, scope),
      principalId: agent.uamiPrincipalId,
      roleName: role.roleName,
      roleDefinitionGuid: role.name.toLowerCase(),
      roleDefinitionId: `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role.name.toLowerCase()}`,
      scope,
      scopeKind,
      reason: type ? { kind: 'resource-type', resourceTypes: [type] } : { kind: 'preconfigured' },
    });
  };

  for (const rgId of agent.resourceGroupIds) {
    const rg = parseResourceGroupId(rgId);
    subscriptions.set(rg.subscriptionId, subscriptionScope(rg.subscriptionId));
    for (const roleName of baseline.resourceGroupRoles) add(roleName, rg.id, rg.subscriptionId, 'resourceGroup');
    const inv = findInventory(inventory, rg.id);
    if (!inv || inv.error) {
      unknownScopes.push(rg.id);
      notes.push({ scope: rg.id, message: `resource types unknown (${inv?.error ?? 'not inventoried'}): only preconfigured roles planned, nothing deleted here` });
      continue;
    }
    for (const type of inv.resourceTypes) {
      const forType = desiredRoles(agent.level, [type]);
      for (const roleName of forType.resourceGroupRoles) {
        if (baselineRg.has(lower(roleName))) continue;
        add(roleName, rg.id, rg.subscriptionId, 'resourceGroup', type);
      }
      for (const roleName of forType.subscriptionRoles) {
        if (baselineSub.has(lower(roleName))) continue;
        add(roleName, subscriptionScope(rg.subscriptionId), rg.subscriptionId, 'subscription', type);
      }
    }
  }
  for (const [subscriptionId, scope] of subscriptions) {
    for (const roleName of baseline.subscriptionRoles) add(roleName, scope, subscriptionId, 'subscription');
  }
  const desired = [...out.values()].sort(byScopeThenRole);
  return { desired, unknownScopes, notes };
}

export function findInventory(inventory: ReadonlyMap<string, ResourceGroupInventory>, rgId: string): ResourceGroupInventory | undefined {
  return inventory.get(rgId) ?? inventory.get(rgId.toLowerCase()) ?? [...inventory.values()].find((i) => i.resourceGroupId.toLowerCase() === rgId.toLowerCase());
}

function lower(s: string): string {
  return s.toLowerCase();
}

export function byScopeThenRole(a: { scope: string; roleName: string }, b: { scope: string; roleName: string }): number {
  return a.scope.toLowerCase().localeCompare(b.scope.toLowerCase()) || a.roleName.localeCompare(b.roleName);
}
