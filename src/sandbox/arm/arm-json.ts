import type { RoleDefinition } from '../../rbac/rbac-types.ts';
import type { ArmResourceRecord, DenyAssignmentRecord, ResourceGroupRecord, RoleAssignmentRecord, SubscriptionRecord } from '../state/arm-state.ts';

/** ARM's JSON shapes for what the sandbox stores. */

export function subscriptionJson(s: SubscriptionRecord, tenantId: string): Record<string, unknown> {
  return {
    id: `/subscriptions/${s.subscriptionId}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: s.subscriptionId,
    tenantId,
    displayName: s.displayName,
    state: 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'EnterpriseAgreement_2014-09-01', spendingLimit: 'Off' },
  };
}

export function resourceGroupJson(g: ResourceGroupRecord): Record<string, unknown> {
  return { id: g.id, name: g.name, type: 'Microsoft.Resources/resourceGroups', location: g.location, tags: g.tags, properties: { provisioningState: 'Succeeded' } };
}

/** The generic resources list shows identity fields, not properties. */
export function resourceListEntryJson(r: ArmResourceRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { id: r.id, name: r.name, type: r.type, location: r.location };
  if (r.kind) out.kind = r.kind;
  if (r.sku) out.sku = r.sku;
  if (r.tags) out.tags = r.tags;
  return out;
}

const POWER_DISPLAY = { running: 'VM running', stopped: 'VM stopped', deallocated: 'VM deallocated' } as const;

export function vmInstanceView(r: ArmResourceRecord): Record<string, unknown> {
  const power = r.powerState ?? 'running';
  return {
    statuses: [
      { code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded' },
      { code: `PowerState/${power}`, level: 'Info', displayStatus: POWER_DISPLAY[power] },
    ],
  };
}

export function resourceJson(r: ArmResourceRecord, expandInstanceView = false): Record<string, unknown> {
  const out: Record<string, unknown> = { id: r.id, name: r.name, type: r.type };
  if (!r.parentId) out.location = r.location;
  if (r.kind) out.kind = r.kind;
  if (r.sku) out.sku = r.sku;
  if (r.tags) out.tags = r.tags;
  if (r.identity) out.identity = r.identity;
  out.properties = expandInstanceView && r.powerState ? { ...r.properties, instanceView: vmInstanceView(r) } : r.properties;
  return out;
}

export function roleAssignmentJson(a: RoleAssignmentRecord): Record<string, unknown> {
  return {
    properties: {
      roleDefinitionId: a.roleDefinitionId,
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: a.condition,
      conditionVersion: a.conditionVersion,
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: a.createdBy,
      updatedBy: a.updatedBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description,
    },
    id: a.id,
    type: 'Microsoft.Authorization/roleAssignments',
    name: a.name,
  };
}

export function roleDefinitionJson(r: RoleDefinition, id: string): Record<string, unknown> {
  return {
    id,
    type: 'Microsoft.Authorization/roleDefinitions',
    name: r.name,
    properties: {
      roleName: r.roleName,
      type: r.roleType ?? 'BuiltInRole',
      description: r.description ?? '',
      assignableScopes: r.assignableScopes,
      permissions: r.permissions.map((p) => ({
        actions: p.actions,
        notActions: p.notActions,
        dataActions: p.dataActions,
        notDataActions: p.notDataActions,
        ...(p.condition ? { condition: p.condition, conditionVersion: p.conditionVersion ?? null } : {}),
      })),
      createdOn: '2015-02-02T21:55:09.8806423Z',
      updatedOn: '2024-01-01T00:00:00.0000000Z',
      createdBy: null,
      updatedBy: null,
    },
  };
}

export function denyAssignmentJson(d: DenyAssignmentRecord): Record<string, unknown> {
  return {
    properties: {
      denyAssignmentName: d.denyAssignmentName,
      description: d.description,
      permissions: d.permissions,
      scope: d.scope,
      doNotApplyToChildScopes: d.doNotApplyToChildScopes ?? false,
      principals: d.principals,
      excludePrincipals: d.excludePrincipals ?? [],
      isSystemProtected: d.isSystemProtected ?? false,
    },
    id: d.id,
    type: 'Microsoft.Authorization/denyAssignments',
    name: d.id.split('/').pop(),
  };
}
