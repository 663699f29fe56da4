import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import type { Policies } from '../../src/policies/policies.ts';
import type { RoleAssignment, RoleDefinition } from '../../src/rbac/rbac-types.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import { assignmentName } from '../../src/levels/assignment-name.ts';
import type { ProviderOperation } from '../../src/levels/candidate-operations.ts';
import type { PlanAgent, ResourceGroupInventory } from '../../src/levels/level-types.ts';

export const catalog: readonly RoleDefinition[] = loadBuiltinCatalog().roles;

/** The real provider-operation list, read from ../shared (never copied into the repository). */
export const providerOperations: ProviderOperation[] = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../shared/azure-rbac/provider-operations.flat.json', import.meta.url)), 'utf8'),
) as ProviderOperation[];

const names = new Set(catalog.map((r) => r.roleName.toLowerCase()));
export const policies: Policies = loadPolicies(fileURLToPath(new URL('../../policies', import.meta.url)), {
  hasRole: (n) => names.has(n.toLowerCase()),
});

export const roleId = (roleName: string): string => {
  const r = catalog.find((x) => x.roleName === roleName);
  if (!r) throw new Error(`no role ${roleName} in the test catalog`);
  return r.name;
};

export const SUB = '11111111-1111-4111-8111-111111111111';
export const SUB2 = '22222222-2222-4222-8222-222222222222';
export const PRINCIPAL = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
export const GROUP = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
export const RG_APPS = `/subscriptions/${SUB}/resourceGroups/rg-apps`;
export const RG_VMS = `/subscriptions/${SUB}/resourceGroups/rg-vms`;
export const RG_OTHER = `/subscriptions/${SUB2}/resourceGroups/rg-other`;

export function agent(level: PlanAgent['level'], resourceGroupIds: string[]): PlanAgent {
  return { id: 'agent-1', name: 'test-agent', uamiPrincipalId: PRINCIPAL, level, resourceGroupIds };
}

export function inv(id: string, types: string[], error?: string): ResourceGroupInventory {
  return { resourceGroupId: id, resourceTypes: types, resourceCount: types.length, fetchedAt: '2025-01-01T00:00:00.000Z', ...(error ? { error } : {}) };
}

export const INVENTORY = [
  inv(RG_APPS, ['Microsoft.App/containerApps', 'Microsoft.App/managedEnvironments']),
  inv(RG_VMS, ['Microsoft.Compute/virtualMachines', 'Microsoft.Compute/virtualMachineScaleSets', 'Microsoft.Network/networkInterfaces']),
];

let n = 0;
/** An ARM-shaped assignment; `managed` gives it Elevate's description marker. */
export function assignment(roleName: string, scope: string, opts: { managed?: boolean; principalId?: string; condition?: string; deterministic?: boolean } = {}): RoleAssignment {
  const guid = roleId(roleName);
  const principalId = opts.principalId ?? PRINCIPAL;
  const name = opts.deterministic ? assignmentName(principalId, guid, scope) : `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    scope,
    roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
    principalId,
    principalType: 'ServicePrincipal',
    description: opts.managed ? 'Managed by Elevate: test' : null,
    ...(opts.condition ? { condition: opts.condition, conditionVersion: '2.0' } : {}),
  };
}

/** The assignments a Reader-level agent on RG_APPS and RG_VMS holds when all is in order. */
export function readerBaseline(): RoleAssignment[] {
  return [RG_APPS, RG_VMS].flatMap((rg) => ['Reader', 'Log Analytics Reader', 'Monitoring Reader'].map((r) => assignment(r, rg, { managed: true }))).concat(
    assignment('Monitoring Contributor', `/subscriptions/${SUB}`, { managed: true }),
  );
}
