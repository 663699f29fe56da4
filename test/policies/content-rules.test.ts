/**
 * The shipped content and `require` rules of guardrails.yaml, one table row per rule: a request
 * that must be held, a near miss that must pass, through the real decision pipeline with the
 * shipped policies. Permissions are granted for everything and the run mode is Autonomous, the
 * loosest the pipeline can be: whatever holds here holds everywhere.
 */
import { describe, expect, it } from 'vitest';
import { createDecisionDeps } from '../../src/operations/decision-deps.ts';
import { decideOperation } from '../../src/operations/decision-pipeline.ts';
import type { HttpMethod, JsonValue, OperationDecision, OperationInput } from '../../src/operations/operation-types.ts';
import type { Decision } from '../../src/rbac/rbac-types.ts';
import { makeAgent, policiesWithRunModes, RG_APPS, SUB } from '../operations/support/operation-fixtures.ts';

const policies = policiesWithRunModes({ chat: 'Autonomous', incident: 'Autonomous', scheduled: 'Autonomous', manual: 'Autonomous' });
const granted: Decision = {
  allowed: true,
  reason: 'granted',
  message: 'granted by Owner at the resource group',
  grantedBy: [],
  deniedBy: [],
  conditionalGrants: [],
  wouldBeGrantedBy: [],
};
const P0 = `${RG_APPS}/providers`;
/** The resources as ARM would return them to the agent's read (for rules over `merged`); any other path is not readable. */
const CURRENT: Record<string, JsonValue> = {
  [`${P0}/Microsoft.KeyVault/vaults/kv-sre`]: { name: 'kv-sre', properties: { publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Deny', ipRules: [] } } },
  [`${P0}/Microsoft.KeyVault/vaults/kv-private`]: { name: 'kv-private', properties: { publicNetworkAccess: 'Disabled', networkAcls: { defaultAction: 'Deny', ipRules: [] } } },
};
const deps = createDecisionDeps(policies, { check: async () => granted }, {
  readCurrentResource: async (_agent, path) => (path in CURRENT ? { known: true, value: CURRENT[path] } : { known: false, why: 'ARM answered 404 ResourceNotFound' }),
});
const agent = makeAgent({ uamiPrincipalId: '7d1e0000-0000-4000-8000-0000000000b2', level: 'Privileged' });

const P = `${RG_APPS}/providers`;
const KV = `${P}/Microsoft.KeyVault/vaults/kv-sre`;
const SQL = `${P}/Microsoft.Sql/servers/sql-sre`;
const ST = `${P}/Microsoft.Storage/storageAccounts/stsre`;
const NSG = `${P}/Microsoft.Network/networkSecurityGroups/nsg-sre`;
const CA = `${P}/Microsoft.App/containerApps/app-frontend`;
const DIAG = `${KV}/providers/Microsoft.Insights/diagnosticSettings/to-law`;
const SITE = `${P}/Microsoft.Web/sites/func-sre`;
const AKS = `${P}/Microsoft.ContainerService/managedClusters/aks-sre`;
const VM = `${P}/Microsoft.Compute/virtualMachines/vm-sre`;
const OWN_ID = `${RG_APPS}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app`;
const ELEVATE_ID = `/subscriptions/${SUB}/resourceGroups/rg-elevate/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-elevate`;

const TENANT = '9f000000-0000-4000-8000-000000000001';
const kvProps = (extra: Record<string, JsonValue> = {}) => ({ tenantId: TENANT, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true, accessPolicies: [], ...extra });
const logs = (...enabled: boolean[]) => ({ properties: { workspaceId: `${RG_APPS}/providers/Microsoft.OperationalInsights/workspaces/law`, logs: enabled.map((e, i) => ({ category: `c${i}`, enabled: e })) } });
const secRule = (p: Record<string, JsonValue>) => ({ properties: { priority: 100, protocol: 'Tcp', sourcePortRange: '*', destinationAddressPrefix: '*', ...p } });

function op(method: HttpMethod, path: string, body?: JsonValue): OperationInput {
  const input: OperationInput = { method, path, apiVersion: '2024-04-01', justification: 'incident 42', trigger: { kind: 'incident' }, idempotencyKey: 'k' };
  if (body !== undefined) input.body = body;
  return input;
}

type Expect = { outcome: OperationDecision['outcome']; rule: string; approvers?: number };
interface Row {
  rule: string;
  held: [string, OperationInput, Expect];
  nearMiss: [string, OperationInput];
}

const rows: Row[] = [
  {
    rule: 'no-function-keys',
    held: ['slot host listkeys', op('POST', `${SITE}/slots/staging/host/default/listkeys`), { outcome: 'forbidden', rule: 'no-function-keys' }],
    nearMiss: ['a function app restart', op('POST', `${SITE}/restart`)],
  },
  {
    rule: 'no-aks-user-credentials',
    held: ['listClusterUserCredential', op('POST', `${AKS}/listClusterUserCredential`), { outcome: 'forbidden', rule: 'no-aks-user-credentials' }],
    nearMiss: ['an agent pool scale', op('PUT', `${AKS}/agentPools/nodepool1`, { properties: { count: 3 } })],
  },
  {
    rule: 'vm-run-command-needs-two',
    held: ['runCommand', op('POST', `${VM}/runCommand`, { commandId: 'RunShellScript', script: ['id'] }), { outcome: 'pending_elevation', rule: 'vm-run-command-needs-two', approvers: 2 }],
    nearMiss: ['a VM restart', op('POST', `${VM}/restart`)],
  },
  {
    rule: 'no-deployment-scripts',
    held: ['a deployment script', op('PUT', `${P}/Microsoft.Resources/deploymentScripts/ds`, { kind: 'AzureCLI', location: 'westeurope', properties: { scriptContent: 'az role assignment create' } }), { outcome: 'forbidden', rule: 'no-deployment-scripts' }],
    nearMiss: ['reading a deployment script', op('GET', `${P}/Microsoft.Resources/deploymentScripts/ds`)],
  },
  {
    rule: 'no-managed-applications',
    held: ['a managed application', op('PUT', `${P}/Microsoft.Solutions/applications/app`, { kind: 'MarketPlace', location: 'westeurope', properties: {} }), { outcome: 'forbidden', rule: 'no-managed-applications' }],
    nearMiss: ['reading a managed application', op('GET', `${P}/Microsoft.Solutions/applications/app`)],
  },
  {
    rule: 'no-immutability-removal',
    held: ['clearing a legal hold', op('POST', `${ST}/blobServices/default/containers/audit/clearLegalHold`, { tags: ['case-1'] }), { outcome: 'forbidden', rule: 'no-immutability-removal' }],
    nearMiss: ['setting a legal hold', op('POST', `${ST}/blobServices/default/containers/audit/setLegalHold`, { tags: ['case-1'] })],
  },
  {
    rule: 'no-key-vault-access-policies-in-body',
    held: ['a vault PUT that sets access policies', op('PUT', KV, { location: 'westeurope', properties: kvProps({ accessPolicies: [{ tenantId: TENANT, objectId: 'x', permissions: { secrets: ['get', 'list'] } }] }) }), { outcome: 'forbidden', rule: 'no-key-vault-access-policies-in-body' }],
    nearMiss: ['a vault PUT that changes only tags', op('PUT', KV, { location: 'westeurope', tags: { owner: 'sre' }, properties: kvProps() })],
  },
  {
    rule: 'no-key-vault-rbac-off',
    held: ['a PATCH switching RBAC off', op('PATCH', KV, { properties: { enableRbacAuthorization: false } }), { outcome: 'forbidden', rule: 'no-key-vault-rbac-off' }],
    nearMiss: ['a PATCH of tags', op('PATCH', KV, { tags: { owner: 'sre' } })],
  },
  {
    rule: 'key-vault-put-without-rbac-setting',
    held: ['a vault PUT that omits enableRbacAuthorization', op('PUT', KV, { location: 'westeurope', tags: { owner: 'sre' }, properties: { tenantId: TENANT, sku: { family: 'A', name: 'standard' }, accessPolicies: [] } }), { outcome: 'pending_elevation', rule: 'key-vault-put-without-rbac-setting' }],
    nearMiss: ['a vault PUT that keeps RBAC on', op('PUT', KV, { location: 'westeurope', properties: kvProps() })],
  },
  {
    rule: 'no-soft-delete-or-purge-protection-off',
    held: ['a PATCH disabling soft delete', op('PATCH', KV, { properties: { enableSoftDelete: false } }), { outcome: 'forbidden', rule: 'no-soft-delete-or-purge-protection-off' }],
    nearMiss: ['a PATCH enabling purge protection', op('PATCH', KV, { properties: { enablePurgeProtection: true } })],
  },
  {
    rule: 'no-storage-soft-delete-off',
    held: ['blob soft delete off', op('PUT', `${ST}/blobServices/default`, { properties: { deleteRetentionPolicy: { enabled: false } } }), { outcome: 'forbidden', rule: 'no-storage-soft-delete-off' }],
    nearMiss: ['a longer retention', op('PUT', `${ST}/blobServices/default`, { properties: { deleteRetentionPolicy: { enabled: true, days: 30 } } })],
  },
  {
    rule: 'no-backup-protection-off',
    held: ['immutability disabled', op('PATCH', `${P}/Microsoft.RecoveryServices/vaults/rsv`, { properties: { securitySettings: { immutabilitySettings: { state: 'Disabled' } } } }), { outcome: 'forbidden', rule: 'no-backup-protection-off' }],
    nearMiss: ['immutability unlocked → locked', op('PATCH', `${P}/Microsoft.RecoveryServices/vaults/rsv`, { properties: { securitySettings: { immutabilitySettings: { state: 'Locked' } } } })],
  },
  {
    rule: 'no-sql-admin-in-body',
    held: ['a SQL server PUT with administrators', op('PUT', SQL, { location: 'westeurope', properties: { publicNetworkAccess: 'Disabled', administrators: { administratorType: 'ActiveDirectory', login: 'agent', sid: 'x', azureADOnlyAuthentication: true } } }), { outcome: 'forbidden', rule: 'no-sql-admin-in-body' }],
    nearMiss: ['a SQL server PATCH of minimal TLS', op('PATCH', SQL, { properties: { minimalTlsVersion: '1.2' } })],
  },
  {
    rule: 'no-sql-admin-password-in-body',
    held: ['a SQL admin password reset', op('PATCH', SQL, { properties: { administratorLoginPassword: 'P@ssw0rd-known-to-the-agent' } }), { outcome: 'forbidden', rule: 'no-sql-admin-password-in-body' }],
    nearMiss: ['a SQL server tag', op('PATCH', SQL, { tags: { env: 'prod' } })],
  },
  {
    rule: 'no-diagnostic-logs-off',
    held: ['every log category disabled', op('PUT', DIAG, logs(false, false)), { outcome: 'forbidden', rule: 'no-diagnostic-logs-off' }],
    nearMiss: ['one log category still enabled', op('PUT', DIAG, logs(false, true))],
  },
  {
    rule: 'public-network-access-on',
    held: ['Key Vault public access on', op('PATCH', KV, { properties: { publicNetworkAccess: 'Enabled' } }), { outcome: 'pending_elevation', rule: 'public-network-access-on', approvers: 2 }],
    nearMiss: ['Key Vault public access off', op('PATCH', KV, { properties: { publicNetworkAccess: 'Disabled' } })],
  },
  {
    rule: 'public-network-access-on',
    held: ['storage firewall default Allow', op('PATCH', ST, { properties: { networkAcls: { defaultAction: 'Allow' } } }), { outcome: 'pending_elevation', rule: 'public-network-access-on', approvers: 2 }],
    nearMiss: ['storage firewall default Deny', op('PATCH', ST, { properties: { networkAcls: { defaultAction: 'Deny' } } })],
  },
  {
    rule: 'public-network-access-on',
    held: ['SQL public access on', op('PATCH', SQL, { properties: { publicNetworkAccess: 'Enabled' } }), { outcome: 'pending_elevation', rule: 'public-network-access-on', approvers: 2 }],
    nearMiss: ['SQL public access off', op('PATCH', SQL, { properties: { publicNetworkAccess: 'Disabled' } })],
  },
  {
    rule: 'key-vault-firewall-open-to-internet',
    held: ['a PATCH adding 0.0.0.0/0 to a vault with public access on', op('PATCH', KV, { properties: { networkAcls: { ipRules: [{ value: '0.0.0.0/0' }] } } }), { outcome: 'pending_elevation', rule: 'key-vault-firewall-open-to-internet', approvers: 2 }],
    nearMiss: ['the same PATCH on a vault with public access disabled', op('PATCH', `${P}/Microsoft.KeyVault/vaults/kv-private`, { properties: { networkAcls: { ipRules: [{ value: '0.0.0.0/0' }] } } })],
  },
  {
    rule: 'key-vault-firewall-open-to-internet',
    held: ['a PUT with 1.0.0.0/8 and public access left to its default', op('PUT', KV, { location: 'westeurope', properties: kvProps({ networkAcls: { defaultAction: 'Deny', ipRules: [{ value: '1.0.0.0/8' }] } }) }), { outcome: 'pending_elevation', rule: 'key-vault-firewall-open-to-internet', approvers: 2 }],
    nearMiss: ['a PATCH adding one office range', op('PATCH', KV, { properties: { networkAcls: { ipRules: [{ value: '203.0.113.0/24' }] } } })],
  },
  {
    rule: 'storage-shared-key-on',
    held: ['allowSharedKeyAccess true', op('PATCH', ST, { properties: { allowSharedKeyAccess: true } }), { outcome: 'pending_elevation', rule: 'storage-shared-key-on', approvers: 2 }],
    nearMiss: ['allowSharedKeyAccess false', op('PATCH', ST, { properties: { allowSharedKeyAccess: false } })],
  },
  {
    rule: 'no-nsg-management-ports-open',
    held: ['RDP from the internet in an NSG PUT', op('PUT', NSG, { location: 'westeurope', properties: { securityRules: [{ name: 'rdp', ...secRule({ direction: 'Inbound', access: 'Allow', sourceAddressPrefix: 'Internet', destinationPortRange: '3389' }) }] } }), { outcome: 'forbidden', rule: 'no-nsg-management-ports-open' }],
    nearMiss: ['HTTPS from the internet', op('PUT', NSG, { location: 'westeurope', properties: { securityRules: [{ name: 'https', ...secRule({ direction: 'Inbound', access: 'Allow', sourceAddressPrefix: 'Internet', destinationPortRange: '443' }) }] } })],
  },
  {
    rule: 'no-nsg-management-ports-open',
    held: ['SSH from 0.0.0.0/0 in a port range, one security rule', op('PUT', `${NSG}/securityRules/ssh`, secRule({ direction: 'Inbound', access: 'Allow', sourceAddressPrefixes: ['10.0.0.0/8', '0.0.0.0/0'], destinationPortRanges: ['20-23'] })), { outcome: 'forbidden', rule: 'no-nsg-management-ports-open' }],
    nearMiss: ['SSH from the VNet only', op('PUT', `${NSG}/securityRules/ssh`, secRule({ direction: 'Inbound', access: 'Allow', sourceAddressPrefix: 'VirtualNetwork', destinationPortRange: '22' }))],
  },
  {
    rule: 'no-foreign-identity-attach',
    held: ["a container app PUT attaching Elevate's identity", op('PUT', CA, { location: 'westeurope', identity: { type: 'UserAssigned', userAssignedIdentities: { [ELEVATE_ID]: {} } }, properties: {} }), { outcome: 'forbidden', rule: 'no-foreign-identity-attach' }],
    nearMiss: ['a container app PUT without identity', op('PUT', CA, { location: 'westeurope', properties: { template: { containers: [{ name: 'web', image: 'nginx' }] } } })],
  },
  {
    rule: 'identity-change-needs-elevation',
    held: ["attaching the app's own identity", op('PATCH', CA, { identity: { type: 'UserAssigned', userAssignedIdentities: { [OWN_ID]: {} } } }), { outcome: 'pending_elevation', rule: 'identity-change-needs-elevation' }],
    nearMiss: ['a container app PATCH of scale', op('PATCH', CA, { properties: { template: { scale: { minReplicas: 2 } } } })],
  },
];

const ids = (d: OperationDecision) => (d.contentRules ?? []).map((h) => h.rule);

describe('shipped content rules (Autonomous, permission granted)', () => {
  it('has a row for every content and require rule in guardrails.yaml', () => {
    const shipped = policies.guardrails.rules.filter((r) => r.when !== undefined || r.effect?.kind === 'require' || r.link !== undefined).map((r) => r.id);
    expect([...new Set(rows.map((r) => r.rule))].sort()).toEqual([...new Set(shipped)].sort());
  });

  it.each(rows.map((r) => [r.rule, ...r.held] as const))('%s holds: %s', async (_rule, _label, input, want) => {
    const d = await decideOperation(input, agent, deps);
    expect(d.outcome).toBe(want.outcome);
    if (want.outcome === 'forbidden') {
      expect(d.reasonCode).toBe('guardrail');
      expect(d.guardrail?.rule).toBe(want.rule);
      expect(d.guardrail?.link).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    } else {
      expect(d.reasonCode).toBe('content_rule');
      expect(ids(d)).toContain(want.rule);
      expect(d.approversRequired).toBe(want.approvers);
    }
    expect(d.explanation).toContain(`'${want.rule}'`);
  });

  it.each(rows.map((r) => [r.rule, ...r.nearMiss] as const))('%s lets a near miss through: %s', async (_rule, _label, input) => {
    const d = await decideOperation(input, agent, deps);
    expect(d.outcome).toBe('execute');
    expect(d.contentRules).toBeUndefined();
  });
});

describe('the decision the agent gets', () => {
  it('names the rule, the condition that matched and the doc, for a forbidden Key Vault PATCH', async () => {
    const d = await decideOperation(op('PATCH', KV, { properties: { enableRbacAuthorization: false } }), agent, deps);
    const rule = policies.guardrails.rules.find((r) => r.id === 'no-key-vault-rbac-off')!;
    const hit = { rule: rule.id, reason: rule.reason, condition: rule.when, link: rule.link };
    expect(d).toEqual({
      outcome: 'forbidden',
      reasonCode: 'guardrail',
      explanation: `Microsoft.KeyVault/vaults/write is forbidden by guardrail 'no-key-vault-rbac-off' (when: ${rule.when}): ${rule.reason}`,
      action: 'Microsoft.KeyVault/vaults/write',
      actionStatus: 'listed',
      scope: KV,
      isWrite: true,
      runMode: 'Autonomous',
      wouldBeGrantedBy: [],
      guardrail: hit,
      contentRules: [{ ...hit, effect: 'forbid' }],
    });
  });

  it('holds a runCommand the agent may run in Autonomous mode for an elevation with two approvers', async () => {
    const d = await decideOperation(op('POST', `${VM}/runCommand`, { commandId: 'RunShellScript', script: ['id'] }), agent, deps);
    expect(d).toMatchObject({
      outcome: 'pending_elevation',
      reasonCode: 'content_rule',
      approversRequired: 2,
      contentRules: [{ rule: 'vm-run-command-needs-two', effect: 'require', elevation: true, approvers: 2, link: 'https://learn.microsoft.com/en-us/azure/virtual-machines/run-command-overview' }],
    });
    expect(d.explanation).toBe(
      "Microsoft.Compute/virtualMachines/runCommand/action is held by guardrail 'vm-run-command-needs-two': Run Command executes any script as SYSTEM or root on the machine; two administrators read the script and one runs it with their own sign-in.; an administrator must run it with their own sign-in; 2 administrators must approve",
    );
  });

  it('turns an Autonomous diagnostic-settings write that disables every log into a refusal', async () => {
    // The case from the issue: Monitoring Contributor may write diagnostic settings, so this would have run.
    const d = await decideOperation(op('PUT', DIAG, { properties: { workspaceId: 'x', logs: [] } }), agent, deps);
    expect(d).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-diagnostic-logs-off' } });
  });
});
