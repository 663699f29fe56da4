/**
 * @azure/arm-authorization's models, shaped as the RBAC evaluator's types. One mapping for every
 * reader (operations permission cache, level planner), so none of them drops a field the
 * evaluator needs, such as a role definition's ABAC condition. Entries without the fields a
 * check depends on are left out (undefined) rather than guessed.
 */
import type {
  DenyAssignment as SdkDenyAssignment,
  RoleAssignment as SdkRoleAssignment,
  RoleDefinition as SdkRoleDefinition,
} from '@azure/arm-authorization';
import type { DenyAssignment, Permission, RoleAssignment, RoleDefinition } from '../rbac/rbac-types.ts';

const list = (v: string[] | undefined) => (Array.isArray(v) ? [...v] : []);

/** The SDK's Permission model, plus the condition fields ARM returns on role definitions. */
type SdkPermission = {
  actions?: string[];
  notActions?: string[];
  dataActions?: string[];
  notDataActions?: string[];
  condition?: string;
  conditionVersion?: string;
};

export function fromSdkPermission(p: SdkPermission): Permission {
  return {
    actions: list(p.actions),
    notActions: list(p.notActions),
    dataActions: list(p.dataActions),
    notDataActions: list(p.notDataActions),
    condition: p.condition ?? null,
    conditionVersion: p.conditionVersion ?? null,
  };
}

export function fromSdkRoleAssignment(a: SdkRoleAssignment): RoleAssignment | undefined {
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

export function fromSdkDenyAssignment(d: SdkDenyAssignment): DenyAssignment | undefined {
  if (!d.id || !d.scope) return undefined;
  return {
    id: d.id,
    denyAssignmentName: d.denyAssignmentName,
    scope: d.scope,
    permissions: (d.permissions ?? []).map(fromSdkPermission),
    principals: (d.principals ?? []).filter((p) => p.id).map((p) => ({ id: p.id!, type: p.type })),
    excludePrincipals: (d.excludePrincipals ?? []).filter((p) => p.id).map((p) => ({ id: p.id!, type: p.type })),
    doNotApplyToChildScopes: d.doNotApplyToChildScopes ?? false,
    isSystemProtected: d.isSystemProtected ?? false,
  };
}

export function fromSdkRoleDefinition(r: SdkRoleDefinition): RoleDefinition | undefined {
  if (!r.id || !r.name) return undefined;
  return {
    id: r.id,
    name: r.name,
    roleName: r.roleName ?? r.name,
    roleType: r.roleType,
    description: r.description,
    permissions: (r.permissions ?? []).map(fromSdkPermission),
    assignableScopes: list(r.assignableScopes),
  };
}
