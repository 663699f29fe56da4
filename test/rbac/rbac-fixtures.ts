/** Small builders for hand-written RBAC states in tests. */
import type { AuthorizationState, DenyAssignment, Permission, RoleAssignment, RoleDefinition } from '../../src/rbac/rbac-types.ts';

export const SUB = '/subscriptions/00000000-aaaa-bbbb-cccc-000000000001';
export const RG1 = `${SUB}/resourceGroups/rg1`;
export const RG10 = `${SUB}/resourceGroups/rg10`;
export const APP = `${RG1}/providers/Microsoft.App/containerApps/app1`;
export const mgScope = (id: string) => `/providers/Microsoft.Management/managementGroups/${id}`;

export function perm(p: Partial<Permission>): Permission {
  return { actions: [], notActions: [], dataActions: [], notDataActions: [], ...p };
}

let counter = 0;
export function role(
  roleName: string,
  permissions: Partial<Permission> | Array<Partial<Permission>>,
  opts: { guid?: string; builtIn?: boolean; assignableScopes?: string[] } = {},
): RoleDefinition {
  const guid = opts.guid ?? `00000000-0000-0000-0000-${String(++counter).padStart(12, '0')}`;
  return {
    id: `/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    name: guid,
    roleName,
    roleType: opts.builtIn === false ? 'CustomRole' : 'BuiltInRole',
    permissions: (Array.isArray(permissions) ? permissions : [permissions]).map(perm),
    assignableScopes: opts.assignableScopes ?? ['/'],
  };
}

export function assign(principalId: string, r: RoleDefinition, scope: string, extra: Partial<RoleAssignment> = {}): RoleAssignment {
  const id = `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments/ra-${++counter}`;
  return { id, scope, roleDefinitionId: r.id, principalId, ...extra };
}

export function deny(scope: string, principals: string[], permissions: Partial<Permission>, extra: Partial<DenyAssignment> = {}): DenyAssignment {
  return {
    id: `${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/denyAssignments/da-${++counter}`,
    denyAssignmentName: `deny-${counter}`,
    scope,
    permissions: [perm(permissions)],
    principals: principals.map((id) => ({ id })),
    ...extra,
  };
}

export function state(s: Partial<AuthorizationState>): AuthorizationState {
  return { roles: [], assignments: [], denyAssignments: [], groups: {}, hierarchy: {}, ...s };
}
