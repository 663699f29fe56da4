import type { PermissionLevel } from '../policies/policy-types.ts';
import type { RoleAssignment, RoleDefinition } from '../rbac/rbac-types.ts';
import { parseResourceGroupId, subscriptionScope } from '../agents/resource-group-id.ts';
import { candidateOperations, resourceCandidateOperations, type CandidateOperation, type ProviderOperation } from './candidate-operations.ts';
import { byScopeThenRole, desiredAssignments, findInventory, type DesiredRolesFn, type RoleByName } from './desired-assignments.ts';
import { analyzeDrift, mutatingCount, type EvaluatorFactory } from './drift-analysis.ts';
import { resourceBelowGroup } from './resource-below-group.ts';
import {
  isElevateManaged,
  type ActualAssignment,
  type DesiredAssignment,
  type DriftFinding,
  type Plan,
  type PlanAgent,
  type PlannedDelete,
  type ResourceGroupInventory,
} from './level-types.ts';

/** What ARM says reaches the UAMI at and above its scopes. */
export interface ActualState {
  assignments: RoleAssignment[];
  /** Groups the UAMI is a member of (principals other than the UAMI seen in `assignments`). */
  groupIds: string[];
  /** subscription id -> management group ids above it */
  hierarchy: Record<string, string[]>;
  /** Definitions of roles the catalog lacks (custom roles), read from ARM. */
  extraRoles?: RoleDefinition[];
}

export interface PlanCoreInput {
  agent: PlanAgent;
  inventory: ReadonlyMap<string, ResourceGroupInventory>;
  actual: ActualState;
  desiredRoles: DesiredRolesFn;
  roleByName: RoleByName;
  roles: RoleDefinition[];
  createEvaluator: EvaluatorFactory;
  providerOperations?: readonly ProviderOperation[];
  /** Assignments a time-bound raise holds now: expected until their window ends, neither deleted nor drift. */
  heldByRaises?: readonly HeldByRaise[];
}

export interface HeldByRaise {
  raiseId: string;
  roleGuid: string;
  scope: string;
  endsAt: string;
}

const roleGuid = (roleDefinitionId: string) => roleDefinitionId.slice(roleDefinitionId.lastIndexOf('/') + 1).toLowerCase();
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The diff between what the agent's level says its UAMI should hold and what ARM says it holds.
 * Only assignments Elevate made (description `Managed by Elevate...`) are ever planned for
 * deletion; anything else that gives more than the level is drift, reported, never touched here.
 */
export function planCore(input: PlanCoreInput): Plan {
  const { agent, inventory, actual, roles } = input;
  const principal = agent.uamiPrincipalId;
  const { desired, unknownScopes, notes } = desiredAssignments(input);
  const roleById = new Map(roles.map((r) => [r.name.toLowerCase(), r]));
  const roleNameOf = (id: string) => roleById.get(roleGuid(id))?.roleName ?? `role ${roleGuid(id)}`;

  const reaching = actual.assignments
    .filter((a) => same(a.principalId, principal) || actual.groupIds.some((g) => same(g, a.principalId)))
    .map((a): ActualAssignment => ({ ...a, managed: isElevateManaged(a.description) }));

  const used = new Set<ActualAssignment>();
  const inPlace: Plan['inPlace'] = [];
  const toCreate: DesiredAssignment[] = [];
  for (const d of desired) {
    const matches = reaching.filter(
      (a) => !used.has(a) && same(a.principalId, principal) && roleGuid(a.roleDefinitionId) === d.roleDefinitionGuid && same(trim(a.scope), d.scope) && !a.condition,
    );
    const match = matches.find((a) => a.managed) ?? matches[0];
    if (match) {
      used.add(match);
      inPlace.push({ desired: d, assignment: match });
      if (!match.managed) notes.push({ scope: d.scope, message: `${d.roleName} is present but was not made by Elevate (${match.id}); Elevate will not remove it` });
    } else {
      toCreate.push(d);
    }
  }

  for (const held of input.heldByRaises ?? []) {
    for (const a of reaching) {
      if (used.has(a) || !same(a.principalId, principal) || roleGuid(a.roleDefinitionId) !== held.roleGuid.toLowerCase() || !same(trim(a.scope), trim(held.scope))) continue;
      used.add(a);
      notes.push({ scope: held.scope, message: `${roleNameOf(a.roleDefinitionId)} is held by time-bound raise ${held.raiseId} until ${held.endsAt}` });
    }
  }

  const managedRgs = agent.resourceGroupIds.map((id) => parseResourceGroupId(id));
  const managedSubs = new Set(managedRgs.map((rg) => rg.subscriptionId));
  const toDelete: PlannedDelete[] = [];
  for (const a of reaching) {
    if (used.has(a) || !a.managed || !same(a.principalId, principal)) continue;
    const scope = trim(a.scope);
    if (unknownScopes.some((s) => same(s, scope))) continue;
    toDelete.push({ assignment: a, roleName: roleNameOf(a.roleDefinitionId), reason: deleteReason(scope, agent, managedRgs.map((r) => r.id), managedSubs) });
  }
  toDelete.sort((x, y) => byScopeThenRole({ scope: x.assignment.scope, roleName: x.roleName }, { scope: y.assignment.scope, roleName: y.roleName }));

  const foreign = reaching.filter((a) => !used.has(a) && !a.managed);
  const scopes = driftScopes(agent, inventory, roles, input.providerOperations);
  const candidatesBelow = (scope: string) => resourceScopeCandidates(scope, agent, inventory, roles, input.providerOperations);
  const driftFor = (d: DesiredAssignment[]): DriftFinding[] =>
    foreign.length === 0
      ? []
      : analyzeDrift({
          principalId: principal,
          desired: d,
          foreign,
          roles,
          groupIds: actual.groupIds,
          hierarchy: actual.hierarchy,
          scopes,
          candidatesBelow,
          createEvaluator: input.createEvaluator,
          roleNameOf,
        });
  const drift = driftFor(desired);
  const effectiveLevel = effectiveLevelOf(agent, drift, () => driftFor(desiredAssignments({ ...input, agent: { ...agent, level: 'Privileged' } }).desired));

  return {
    agent: { id: agent.id, name: agent.name, level: agent.level, principalId: principal },
    desired,
    inPlace,
    toCreate,
    toDelete,
    drift,
    effectiveLevel,
    notes,
  };
}

function trim(scope: string): string {
  return scope.replace(/\/+$/, '');
}

function deleteReason(scope: string, agent: PlanAgent, managedRgIds: string[], managedSubs: Set<string>): string {
  const lower = scope.toLowerCase();
  const rgMatch = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)/.exec(lower);
  if (rgMatch) {
    const rgScope = rgMatch[0];
    if (!managedRgIds.some((id) => id.toLowerCase() === rgScope)) return 'its resource group is no longer managed by this agent';
    return `not needed at the ${agent.level} level for the resource types found in the group`;
  }
  const subMatch = /^\/subscriptions\/([^/]+)$/.exec(lower);
  if (subMatch) {
    if (!managedSubs.has(subMatch[1]!)) return 'the subscription no longer holds a resource group this agent manages';
    return `not part of the ${agent.level} level at the subscription`;
  }
  return 'not part of the agent\'s level at this scope';
}

function driftScopes(
  agent: PlanAgent,
  inventory: ReadonlyMap<string, ResourceGroupInventory>,
  roles: RoleDefinition[],
  providerOperations: readonly ProviderOperation[] | undefined,
): Array<{ scope: string; candidates: CandidateOperation[] }> {
  const out: Array<{ scope: string; candidates: CandidateOperation[] }> = [];
  const typesBySub = new Map<string, Set<string>>();
  for (const id of agent.resourceGroupIds) {
    const rg = parseResourceGroupId(id);
    const types = findInventory(inventory, rg.id)?.resourceTypes ?? [];
    const subTypes = typesBySub.get(rg.subscriptionId) ?? new Set<string>();
    types.forEach((t) => subTypes.add(t));
    typesBySub.set(rg.subscriptionId, subTypes);
    out.push({ scope: rg.id, candidates: candidateOperations(types, roles, providerOperations) });
  }
  for (const [sub, types] of typesBySub) out.push({ scope: subscriptionScope(sub), candidates: candidateOperations([...types], roles, providerOperations) });
  return out;
}

/**
 * For a scope inside one of the agent's managed groups: the operations of the resource's type and
 * of the group's types nested under it (an assignment on a resource reaches its child resources
 * too). Undefined elsewhere, including resources in groups the agent does not manage.
 */
function resourceScopeCandidates(
  scope: string,
  agent: PlanAgent,
  inventory: ReadonlyMap<string, ResourceGroupInventory>,
  roles: RoleDefinition[],
  providerOperations: readonly ProviderOperation[] | undefined,
): CandidateOperation[] | undefined {
  const below = resourceBelowGroup(scope, agent.resourceGroupIds);
  if (!below) return undefined;
  const prefix = `${below.resourceType.toLowerCase()}/`;
  const nested = (findInventory(inventory, below.resourceGroupId)?.resourceTypes ?? []).filter((t) => t.toLowerCase().startsWith(prefix));
  return resourceCandidateOperations([below.resourceType, ...nested], roles, providerOperations);
}

function effectiveLevelOf(agent: PlanAgent, drift: DriftFinding[], driftAtPrivileged: () => DriftFinding[]): Plan['effectiveLevel'] {
  const escalating = drift.filter((f) => mutatingCount(f.added) > 0);
  if (escalating.length === 0) {
    return { level: agent.level, exceeds: false, message: `effective level is ${agent.level}, as registered` };
  }
  const names = escalating.map((f) => `${f.roleName} at ${f.assignment.scope}${f.viaGroupId ? ` (via group ${f.viaGroupId})` : ''}`).join('; ');
  const ops = escalating.reduce((n, f) => n + mutatingCount(f.added), 0);
  const beyondPrivileged = agent.level === 'Privileged' || driftAtPrivileged().some((f) => mutatingCount(f.added) > 0);
  const level: PermissionLevel | 'beyond Privileged' = agent.level === 'Privileged' ? 'beyond Privileged' : 'Privileged';
  const extra = agent.level === 'Reader' && beyondPrivileged ? ', and more than even the Privileged level grants' : '';
  return {
    level,
    exceeds: true,
    message: `${agent.level}-level agent '${agent.name}' is effectively ${level}${extra}: ${names} (not made by Elevate) add ${ops} write/delete/action operation(s) on its managed scopes`,
  };
}
