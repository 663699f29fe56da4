import { desiredRolesFor } from '../policies/desired-roles.ts';
import type { Policies } from '../policies/policies.ts';
import { createEvaluator } from '../rbac/rbac-evaluator.ts';
import type { RoleCatalog } from '../rbac/role-catalog.ts';
import type { RoleDefinition } from '../rbac/rbac-types.ts';
import type { ProviderOperation } from './candidate-operations.ts';
import type { EvaluatorFactory } from './drift-analysis.ts';
import type { Plan, PlanAgent, ResourceGroupInventory } from './level-types.ts';
import { planCore, type ActualState, type HeldByRaise } from './plan-core.ts';

export type { ActualState } from './plan-core.ts';

export interface PlanAssignmentsInput {
  agent: PlanAgent;
  /** Keyed by resource group id; or a list of group inventories. */
  inventory: ReadonlyMap<string, ResourceGroupInventory> | readonly ResourceGroupInventory[];
  policies: Pick<Policies, 'levels'>;
  /** The role catalog (built-in roles, plus custom roles when a roles file is configured). */
  catalog: RoleCatalog | readonly RoleDefinition[];
  actual: ActualState;
  /** Optional provider-operation list: makes the drift report name more operations. */
  providerOperations?: readonly ProviderOperation[];
  /** Defaults to the foundation's evaluator. */
  createEvaluator?: EvaluatorFactory;
  /** Assignments time-bound raises hold now (not drift until their window ends). */
  heldByRaises?: readonly HeldByRaise[];
}

/** Drift checks run thousands of denied checks; role suggestions would only slow them down. */
const defaultEvaluator: EvaluatorFactory = (state) => createEvaluator(state, { suggestionLimit: 0 });

/**
 * The pure planner: desired role assignments from the agent's level, its groups' inventory and the
 * policies; the diff against what ARM reported; and drift. No I/O.
 */
export function planAssignments(input: PlanAssignmentsInput): Plan {
  const catalogRoles: readonly RoleDefinition[] = Array.isArray(input.catalog) ? input.catalog : (input.catalog as RoleCatalog).roles;
  const known = new Set(catalogRoles.map((r) => r.name.toLowerCase()));
  const roles = [...catalogRoles, ...(input.actual.extraRoles ?? []).filter((r) => !known.has(r.name.toLowerCase()))];
  const byName = new Map<string, RoleDefinition>();
  for (const r of catalogRoles) if (!byName.has(r.roleName.toLowerCase())) byName.set(r.roleName.toLowerCase(), r);
  const inventory =
    input.inventory instanceof Map
      ? (input.inventory as ReadonlyMap<string, ResourceGroupInventory>)
      : new Map((input.inventory as readonly ResourceGroupInventory[]).map((i) => [i.resourceGroupId, i]));
  return planCore({
    agent: input.agent,
    inventory,
    actual: input.actual,
    desiredRoles: (level, types) => desiredRolesFor(level, types, input.policies),
    roleByName: (name) => byName.get(name.toLowerCase()),
    roles,
    createEvaluator: input.createEvaluator ?? defaultEvaluator,
    ...(input.providerOperations ? { providerOperations: input.providerOperations } : {}),
    ...(input.heldByRaises ? { heldByRaises: input.heldByRaises } : {}),
  });
}
