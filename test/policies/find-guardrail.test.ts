import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_CACHED_ACTIONS } from '../../src/policies/answers-by-action.ts';
import { findGuardrail, MALFORMED_ACTION_RULE } from '../../src/policies/find-guardrail.ts';
import { parseWith, PROVIDER_OPERATIONS, shippedPolicies } from './policy-fixtures.ts';

const policies = shippedPolicies();
const operations = JSON.parse(readFileSync(PROVIDER_OPERATIONS, 'utf8')) as { name: string; isDataAction: boolean }[];

describe('findGuardrail with the shipped guardrails', () => {
  const blocked: [action: string, isDataAction: boolean, ruleId: string][] = [
    ['Microsoft.Authorization/roleAssignments/write', false, 'no-authorization-writes'],
    ['microsoft.authorization/roleassignments/write', false, 'no-authorization-writes'],
    ['MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE', false, 'no-authorization-writes'],
    ['Microsoft.Authorization/roleDefinitions/write', false, 'no-authorization-writes'],
    ['Microsoft.Authorization/policyAssignments/write', false, 'no-authorization-writes'],
    ['Microsoft.Authorization/locks/write', false, 'no-authorization-writes'],
    ['Microsoft.Authorization/locks/delete', false, 'no-authorization-deletes'],
    ['Microsoft.Authorization/roleAssignments/delete', false, 'no-authorization-deletes'],
    ['Microsoft.Authorization/elevateAccess/action', false, 'no-elevate-access'],
    ['Microsoft.KeyVault/vaults/secrets/getSecret/action', true, 'no-key-vault-secret-reads'],
    ['Microsoft.KeyVault/vaults/secrets/read', false, 'no-key-vault-secret-reads'],
    ['microsoft.keyvault/vaults/secrets/getsecret/action', true, 'no-key-vault-secret-reads'],
    ['Microsoft.KeyVault/vaults/accessPolicies/write', false, 'no-key-vault-access-policy-changes'],
    ['Microsoft.Storage/storageAccounts/listKeys/action', false, 'no-storage-account-keys'],
    ['Microsoft.Storage/storageAccounts/listkeys/action', false, 'no-storage-account-keys'],
    ['Microsoft.Storage/storageAccounts/regeneratekey/action', false, 'no-storage-account-keys'],
    ['Microsoft.Storage/storageAccounts/listAccountSas/action', false, 'no-storage-account-keys'],
    ['Microsoft.Resources/subscriptions/resourceGroups/delete', false, 'no-resource-group-deletion'],
    ['Microsoft.Resources/subscriptions/resourcegroups/delete', false, 'no-resource-group-deletion'],
    ['Microsoft.Resources/deployments/write', false, 'no-template-deployments'],
    ['Microsoft.Web/sites/config/list/Action', false, 'no-app-service-secrets'],
    ['Microsoft.Web/sites/slots/publishxml/Action', false, 'no-app-service-secrets'],
    ['Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action', false, 'no-aks-admin-credentials'],
    ['Microsoft.Sql/servers/administrators/write', false, 'no-sql-admin-changes'],
    ['Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write', false, 'no-identity-federation'],
    ['Microsoft.Insights/DiagnosticSettings/Delete', false, 'no-diagnostic-settings-deletion'],
  ];

  it.each(blocked)('blocks %s (data action: %s) by %s', (action, isDataAction, ruleId) => {
    const rule = findGuardrail(action, isDataAction, policies);
    expect(rule?.id).toBe(ruleId);
    expect(rule?.reason.length).toBeGreaterThan(10);
  });

  const allowed: [action: string, isDataAction: boolean][] = [
    ['Microsoft.Compute/virtualMachines/write', false],
    ['Microsoft.Compute/virtualMachines/restart/action', false],
    ['Microsoft.Compute/virtualMachines/deallocate/action', false],
    ['Microsoft.Compute/virtualMachineScaleSets/scale/action', false],
    ['microsoft.app/containerapps/revisions/restart/action', false],
    ['Microsoft.App/containerApps/write', false],
    ['Microsoft.Web/sites/restart/Action', false],
    ['Microsoft.Web/sites/config/Read', false],
    ['Microsoft.Authorization/roleAssignments/read', false],
    ['Microsoft.Authorization/locks/read', false],
    ['Microsoft.KeyVault/vaults/read', false],
    ['Microsoft.KeyVault/vaults/secrets/readMetadata/action', true],
    ['Microsoft.Storage/storageAccounts/read', false],
    ['Microsoft.Resources/subscriptions/resourceGroups/read', false],
    ['Microsoft.ContainerService/managedClusters/agentPools/write', false],
    // A provider whose name starts like a guarded one is a different provider.
    ['Microsoft.AuthorizationExtra/things/write', false],
  ];

  it.each(allowed)('does not block %s', (action, isDataAction) => {
    expect(findGuardrail(action, isDataAction, policies)).toBeUndefined();
  });

  it('still blocks a data action sent with the control-plane flag, and the reverse', () => {
    expect(findGuardrail('Microsoft.KeyVault/vaults/secrets/getSecret/action', false, policies)?.id).toBe('no-key-vault-secret-reads');
    expect(findGuardrail('Microsoft.Authorization/roleAssignments/write', true, policies)?.id).toBe('no-authorization-writes');
  });

  const malformed: [label: string, action: unknown][] = [
    ['a wildcard that would cover role assignments', 'Microsoft.Authorization/*'],
    ['a bare wildcard', '*'],
    ['leading space', ' Microsoft.Authorization/roleAssignments/write'],
    ['trailing newline', 'Microsoft.Authorization/roleAssignments/write\n'],
    ['dotted capital I (Turkish) look-alike', 'Microsoft.Authorİzation/roleAssignments/write'],
    ['Cyrillic a look-alike', 'Microsoft.\u0430uthorization/roleAssignments/write'],
    ['no operation part', 'Microsoft.Authorization'],
    ['empty string', ''],
    ['not a string', { toLowerCase: () => 'x' }],
    ['an overlong name', `Microsoft.Compute/${'a'.repeat(600)}/read`],
  ];

  it.each(malformed)('refuses a malformed action: %s', (_label, action) => {
    expect(findGuardrail(action as string, false, policies)).toBe(MALFORMED_ACTION_RULE);
    expect(findGuardrail(action as string, true, policies)).toBe(MALFORMED_ACTION_RULE);
  });

  it('blocks every real Microsoft.Authorization write and delete operation', () => {
    const authz = operations.filter((o) => /^microsoft\.authorization\/.*\/(write|delete)$/i.test(o.name));
    expect(authz.length).toBeGreaterThan(20);
    for (const op of authz) expect(findGuardrail(op.name, op.isDataAction, policies), op.name).toBeDefined();
  });

  it('has every pattern of every rule match at least one real operation (no misspelt, dead rules)', () => {
    for (const rule of policies.guardrails.rules) {
      for (const [list, isData] of [['actions', false], ['dataActions', true]] as const) {
        for (const pattern of rule[list]) {
          const single = parseWith({
            'guardrails.yaml': `rules:\n  - id: only\n    reason: test\n    ${list}: ["${pattern}"]\n`,
          });
          const hit = operations.some((o) => o.isDataAction === isData && findGuardrail(o.name, isData, single)?.id === 'only');
          expect(hit, `${rule.id}: ${pattern}`).toBe(true);
        }
      }
    }
  });

  it('treats every real operation name as well formed', () => {
    expect(operations.filter((o) => findGuardrail(o.name, o.isDataAction, policies) === MALFORMED_ACTION_RULE)).toEqual([]);
  });

  it('blocks only a small, deliberate share of the real operations', () => {
    const hits = operations.filter((o) => findGuardrail(o.name, o.isDataAction, policies) !== undefined);
    expect(hits.length).toBeGreaterThan(40);
    expect(hits.length).toBeLessThan(100);
  });

  it('uses the rules of the policy it is given', () => {
    const custom = parseWith({ 'guardrails.yaml': 'rules:\n  - id: no-vm-writes\n    reason: frozen\n    actions: [Microsoft.Compute/virtualMachines/*/write]\n' });
    expect(findGuardrail('Microsoft.Compute/virtualMachines/write', false, custom)?.id).toBe('no-vm-writes');
    expect(findGuardrail('Microsoft.Compute/virtualMachines/extensions/write', false, custom)?.id).toBe('no-vm-writes');
    expect(findGuardrail('Microsoft.Authorization/roleAssignments/write', false, custom)).toBeUndefined();
  });

  it('remembers answers per policy: a reloaded policy takes effect on the next call, and the bound keeps answers right', () => {
    const action = 'Microsoft.Compute/virtualMachines/write';
    const before = parseWith({ 'guardrails.yaml': 'rules:\n  - id: no-vm-writes\n    reason: frozen\n    actions: [Microsoft.Compute/virtualMachines/*/write]\n' });
    expect(findGuardrail(action, false, before)?.id).toBe('no-vm-writes');
    expect(findGuardrail(action, false, before)?.id).toBe('no-vm-writes');
    // A reload is a new policy object: its rules answer at once, whatever the old one remembered.
    const after = parseWith({ 'guardrails.yaml': 'rules:\n  - id: no-disk-writes\n    reason: frozen\n    actions: [Microsoft.Compute/disks/write]\n' });
    expect(findGuardrail(action, false, after)).toBeUndefined();
    expect(findGuardrail('microsoft.compute/DISKS/write', false, after)?.id).toBe('no-disk-writes');
    // The plane flag is part of what is remembered: it decides which list is tried first.
    const both = parseWith({
      'guardrails.yaml': 'rules:\n  - id: control\n    reason: c\n    actions: [Contoso.Thing/*]\n  - id: data\n    reason: d\n    dataActions: [Contoso.Thing/*]\n',
    });
    expect(findGuardrail('Contoso.Thing/items/read', false, both)?.id).toBe('control');
    expect(findGuardrail('Contoso.Thing/items/read', true, both)?.id).toBe('data');
    // Past the bound the remembered answers are dropped, never wrong.
    for (let i = 0; i <= MAX_CACHED_ACTIONS; i++) findGuardrail(`Contoso.Other/items${i}/read`, false, before);
    expect(findGuardrail(action, false, before)?.id).toBe('no-vm-writes');
    expect(findGuardrail('Microsoft.Compute/virtualMachines/read', false, before)).toBeUndefined();
  });
});

