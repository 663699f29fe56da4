import { describe, expect, it } from 'vitest';
import type { ResourceGroupInventory } from '../../src/levels/level-types.ts';
import { desiredRolesFor } from '../../src/policies/desired-roles.ts';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import { grantName, raiseGrants } from '../../src/raises/raise-roles.ts';

const catalog = loadBuiltinCatalog();
const policies = loadPolicies('policies', { hasRole: (n) => catalog.byName(n) !== undefined });
const SUB = 'b1995c7e-f47d-4afd-b2fc-8cf38f44e21d';
const APPS = `/subscriptions/${SUB}/resourceGroups/rg-sre-apps`;
const VMS = `/subscriptions/${SUB}/resourceGroups/rg-sre-vms`;
const inv = (id: string, resourceTypes: string[], error?: string): [string, ResourceGroupInventory] => [id, { resourceGroupId: id, resourceTypes, resourceCount: resourceTypes.length, fetchedAt: '2026-01-01T00:00:00Z', ...(error ? { error } : {}) }];
const common = {
  raiseId: '11111111-2222-3333-4444-555555555555',
  agent: { id: 'a1', name: 'sre-agent', uamiPrincipalId: '0e6f0a4e-1111-4222-8333-944444444444', level: 'Reader' as const },
  targetLevel: 'Privileged' as const,
  desiredRoles: (level: 'Reader' | 'Privileged', types: string[]) => desiredRolesFor(level, types, policies),
  roleByName: (n: string) => catalog.byName(n),
};

describe('raiseGrants', () => {
  it('grants only what Privileged adds on the raised groups, at those groups', () => {
    const { grants, unknownScopes } = raiseGrants({
      ...common,
      resourceGroupIds: [APPS],
      inventory: new Map([inv(APPS, ['Microsoft.App/containerApps', 'Microsoft.App/managedEnvironments', 'Microsoft.Insights/components']), inv(VMS, ['Microsoft.Compute/virtualMachines'])]),
    });
    expect(unknownScopes).toEqual([]);
    expect(grants.map((g) => [g.roleName, g.scope, g.status])).toEqual([
      ['Container Apps Contributor', APPS, 'planned'],
      ['Container Apps ManagedEnvironments Contributor', APPS, 'planned'],
    ]);
    // Deterministic names: a resumed grant after a crash uses the same PIM request / assignment name.
    expect(grants[0]!.name).toBe(grantName(common.raiseId, grants[0]!.roleGuid, APPS.toUpperCase()));
    expect(grants[0]!.roleDefinitionId).toBe(`/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${grants[0]!.roleGuid}`);
  });

  it('says which groups have unknown types (their grants cannot be computed)', () => {
    const { grants, unknownScopes } = raiseGrants({ ...common, resourceGroupIds: [APPS], inventory: new Map([inv(APPS, [], 'listing failed')]) });
    expect(unknownScopes).toEqual([APPS]);
    expect(grants).toEqual([]);
  });
});
