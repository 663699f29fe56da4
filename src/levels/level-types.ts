import type { PermissionLevel } from '../policies/policy-types.ts';
import type { RoleAssignment } from '../rbac/rbac-types.ts';

/**
 * The vocabulary of level enforcement: what an agent should hold (desired), what ARM says it
 * holds (actual), and the difference (a plan). All plain data, so planning is a pure function.
 */

/** Every role assignment Elevate creates carries a description starting with this. */
export const ELEVATE_MARKER = 'Managed by Elevate';

export function isElevateManaged(description: string | null | undefined): boolean {
  return typeof description === 'string' && description.startsWith(ELEVATE_MARKER);
}

/** The part of an agent the planner needs. */
export interface PlanAgent {
  id: string;
  name: string;
  uamiPrincipalId: string;
  level: PermissionLevel;
  /** Canonical ARM ids: /subscriptions/{guid}/resourceGroups/{name} */
  resourceGroupIds: string[];
}

/** What one inventory pass found in one resource group. */
export interface ResourceGroupInventory {
  resourceGroupId: string;
  /** Distinct resource types as ARM spells them (e.g. Microsoft.App/containerApps), sorted. */
  resourceTypes: string[];
  resourceCount: number;
  fetchedAt: string;
  /** Set when the group could not be listed; its types are then unknown, not empty. */
  error?: string;
}

/** Why a role is desired at a scope: a preconfigured role or the role a resource type needs. */
export type DesiredReason =
  | { kind: 'preconfigured' }
  | { kind: 'resource-type'; resourceTypes: string[] };

export interface DesiredAssignment {
  /** UUIDv5 of (principal, role, scope): the name Elevate creates it under. */
  name: string;
  principalId: string;
  roleName: string;
  /** Role definition GUID. */
  roleDefinitionGuid: string;
  /** Subscription-scoped role definition id, as ARM wants it on create. */
  roleDefinitionId: string;
  scope: string;
  scopeKind: 'resourceGroup' | 'subscription';
  reason: DesiredReason;
}

/** An assignment as read from ARM, with whether Elevate made it. */
export interface ActualAssignment extends RoleAssignment {
  managed: boolean;
}

export interface PlannedDelete {
  assignment: ActualAssignment;
  roleName: string;
  /** One line: why it goes (level changed, group no longer managed, type no longer present...). */
  reason: string;
}

export type OperationKind = 'write' | 'delete' | 'action' | 'read' | 'data';

export interface AddedOperations {
  total: number;
  byKind: Record<OperationKind, number>;
  /** Provider namespace (as spelt in the catalog) -> number of operations added there. */
  byNamespace: Record<string, number>;
  /** Every operation added (sorted); the CLI and pages print a sample. */
  operations: string[];
}

export interface DriftFinding {
  assignment: ActualAssignment;
  roleName: string;
  /** Set when the assignment reaches the UAMI through a group it is a member of. */
  viaGroupId?: string;
  /**
   * Managed scopes (resource groups / subscriptions) where it adds something; for an assignment
   * on a resource inside a managed group, that resource's scope.
   */
  affectedScopes: string[];
  added: AddedOperations;
  message: string;
}

export interface PlanNote {
  scope: string;
  message: string;
}

export interface Plan {
  agent: { id: string; name: string; level: PermissionLevel; principalId: string };
  desired: DesiredAssignment[];
  /** Desired assignments already present (matched by principal, role and scope). */
  inPlace: Array<{ desired: DesiredAssignment; assignment: ActualAssignment }>;
  toCreate: DesiredAssignment[];
  toDelete: PlannedDelete[];
  drift: DriftFinding[];
  /** The level the agent effectively has once drift is counted, when it exceeds its own. */
  effectiveLevel: { level: string; exceeds: boolean; message: string };
  notes: PlanNote[];
}

export function planChangesNothing(plan: Plan): boolean {
  return plan.toCreate.length === 0 && plan.toDelete.length === 0;
}
