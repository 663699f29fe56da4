import type { RoleDefinition } from '../rbac/rbac-types.ts';
import type { OperationKind } from './level-types.ts';

/**
 * The operations drift is measured over at a managed group: every operation the role catalog
 * (and the provider-operation list, when one is loaded) names for the group's resource types,
 * plus the standard verbs of each type and a few operations that matter at any scope (changing
 * the group itself, role assignments, locks, deployments). A wildcard role such as Contributor
 * is thereby reported in terms of what it lets the agent do to the resources it manages.
 *
 * At a resource (an assignment made below a managed group) the same is measured for the
 * resource's own type, without the operations that exist only at a group or above.
 */

export interface CandidateOperation {
  name: string;
  dataAction: boolean;
}

/** One row of `az provider operation show` flattened (the shape of provider-operations.flat.json). */
export interface ProviderOperation {
  name: string;
  isDataAction: boolean;
}

/**
 * Operations that can be performed at a resource as well as at a group or subscription: role
 * assignments ("management group, subscription, resource group, or resource",
 * https://learn.microsoft.com/azure/role-based-access-control/scope-overview), locks
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources), policy
 * assignments ("from a management group to an individual resource",
 * https://learn.microsoft.com/azure/governance/policy/concepts/scope) and diagnostic settings.
 */
const ANY_SCOPE: CandidateOperation[] = [
  'Microsoft.Authorization/roleAssignments/write',
  'Microsoft.Authorization/roleAssignments/delete',
  'Microsoft.Authorization/locks/write',
  'Microsoft.Authorization/locks/delete',
  'Microsoft.Authorization/policyAssignments/write',
  'Microsoft.Insights/diagnosticSettings/write',
  'Microsoft.Insights/diagnosticSettings/delete',
].map((name) => ({ name, dataAction: false }));

/**
 * Operations that exist only at a group or above: the group itself, deployments (resource group,
 * subscription, management group or tenant:
 * https://learn.microsoft.com/azure/azure-resource-manager/templates/deploy-to-resource-group),
 * and custom role definitions, whose assignable scopes stop at resource groups
 * (https://learn.microsoft.com/azure/role-based-access-control/custom-roles). At a resource a
 * wildcard role would seem to grant them, but nothing there can be done with them.
 */
const GROUP_AND_ABOVE: CandidateOperation[] = [
  'Microsoft.Resources/subscriptions/resourceGroups/write',
  'Microsoft.Resources/subscriptions/resourceGroups/delete',
  'Microsoft.Resources/deployments/write',
  'Microsoft.Resources/deployments/delete',
  'Microsoft.Authorization/roleDefinitions/write',
].map((name) => ({ name, dataAction: false }));

interface CatalogIndex {
  actions: string[];
  dataActions: string[];
}

const catalogIndexes = new WeakMap<readonly RoleDefinition[], CatalogIndex>();

function literalOperations(roles: readonly RoleDefinition[]): CatalogIndex {
  let idx = catalogIndexes.get(roles);
  if (idx) return idx;
  const actions = new Map<string, string>();
  const dataActions = new Map<string, string>();
  for (const role of roles) {
    for (const p of role.permissions) {
      for (const a of p.actions) if (!a.includes('*')) actions.set(a.toLowerCase(), a);
      for (const a of p.dataActions) if (!a.includes('*')) dataActions.set(a.toLowerCase(), a);
    }
  }
  idx = { actions: [...actions.values()], dataActions: [...dataActions.values()] };
  catalogIndexes.set(roles, idx);
  return idx;
}

export function candidateOperations(
  resourceTypes: readonly string[],
  roles: readonly RoleDefinition[],
  providerOperations: readonly ProviderOperation[] = [],
): CandidateOperation[] {
  return collect([...GROUP_AND_ABOVE, ...ANY_SCOPE], resourceTypes, roles, providerOperations);
}

/** The operations measured at a resource of these types (its own type and those nested under it). */
export function resourceCandidateOperations(
  resourceTypes: readonly string[],
  roles: readonly RoleDefinition[],
  providerOperations: readonly ProviderOperation[] = [],
): CandidateOperation[] {
  return collect(ANY_SCOPE, resourceTypes, roles, providerOperations);
}

function collect(
  fixed: readonly CandidateOperation[],
  resourceTypes: readonly string[],
  roles: readonly RoleDefinition[],
  providerOperations: readonly ProviderOperation[],
): CandidateOperation[] {
  const out = new Map<string, CandidateOperation>();
  const put = (name: string, dataAction: boolean) => {
    const key = `${dataAction ? 'd' : 'c'}|${name.toLowerCase()}`;
    if (!out.has(key)) out.set(key, { name, dataAction });
  };
  for (const op of fixed) put(op.name, false);
  const prefixes = resourceTypes.map((t) => `${t.toLowerCase()}/`);
  const under = (name: string) => {
    const l = name.toLowerCase();
    return prefixes.some((p) => l.startsWith(p));
  };
  for (const type of resourceTypes) for (const verb of ['read', 'write', 'delete']) put(`${type}/${verb}`, false);
  const idx = literalOperations(roles);
  for (const a of idx.actions) if (under(a)) put(a, false);
  for (const a of idx.dataActions) if (under(a)) put(a, true);
  for (const op of providerOperations) if (under(op.name)) put(op.name, op.isDataAction);
  return [...out.values()].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
}

export function operationKind(op: CandidateOperation): OperationKind {
  if (op.dataAction) return 'data';
  const verb = op.name.slice(op.name.lastIndexOf('/') + 1).toLowerCase();
  return verb === 'read' ? 'read' : verb === 'write' ? 'write' : verb === 'delete' ? 'delete' : 'action';
}
