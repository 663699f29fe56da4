/**
 * The sandbox ARM's PUT for the resource types Elevate's content guardrails read (Key Vault,
 * SQL server, storage, NSG and security rules, container app identity, diagnostic settings),
 * driven through @azure/core-rest-pipeline (the transport of every @azure/arm-* client). Each
 * shipped content rule's held and near-miss bodies are sent for real: the near miss is a request
 * ARM accepts, the held one has the effect the rule is there to stop, and the decision pipeline
 * (shipped policies) holds exactly the latter.
 */
import type { TokenCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAzureEndpoints } from '../../src/azure/azure-endpoints.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createCurrentResourceReader } from '../../src/operations/current-resource-read.ts';
import { createDecisionDeps } from '../../src/operations/decision-deps.ts';
import { armClientsByCredential } from '../../src/operations/operations-azure.ts';
import { decideOperation } from '../../src/operations/decision-pipeline.ts';
import type { HttpMethod, JsonValue } from '../../src/operations/operation-types.ts';
import type { Decision } from '../../src/rbac/rbac-types.ts';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { armRequest, staticCredential, type ArmResponse } from '../support/arm-request.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { forgeSandboxToken } from '../support/token-forge.ts';
import { makeAgent, policiesWithRunModes } from '../operations/support/operation-fixtures.ts';

let handle: SandboxHandle;
let admin: TokenCredential;
let agentCred: TokenCredential;
let rg: string;
/** an api-version each provider serves (the sandbox refuses others with NoRegisteredProviderFound, as ARM does) */
const VERSIONS: Record<string, string> = { keyvault: '2023-07-01', sql: '2023-08-01', storage: '2023-05-01', network: '2024-05-01', app: '2024-03-01', insights: '2021-05-01-preview' };
function versionFor(path: string): string {
  const namespaces = [...path.matchAll(/\/providers\/Microsoft\.([A-Za-z]+)\//g)].map((m) => m[1]!.toLowerCase());
  return VERSIONS[namespaces[namespaces.length - 1]!]!;
}
const errorOf = (r: ArmResponse) => (r.body as { error: { code: string; message: string } }).error;

const policies = policiesWithRunModes({ chat: 'Autonomous', incident: 'Autonomous', scheduled: 'Autonomous', manual: 'Autonomous' });
const granted: Decision = { allowed: true, reason: 'granted', message: 'granted', grantedBy: [], deniedBy: [], conditionalGrants: [], wouldBeGrantedBy: [] };
const deps = createDecisionDeps(policies, { check: async () => granted });

async function token(oid: string, extra: Record<string, unknown>): Promise<TokenCredential> {
  const now = Math.floor(Date.now() / 1000);
  const t = await forgeSandboxToken(
    { aud: 'https://management.azure.com/', iss: `https://sts.windows.net/${handle.tenant.tenantId}/`, tid: handle.tenant.tenantId, oid, sub: oid, iat: now, nbf: now, exp: now + 3600, ver: '1.0', ...extra },
    { dataDir: handle.dataDir },
  );
  return staticCredential(t);
}

const arm = (cred: TokenCredential, method: HttpMethod, path: string, body?: JsonValue) => armRequest(cred, method, `${handle.armEndpoint}${path}?api-version=${versionFor(path)}`, body === undefined ? {} : { body });
/** What the decision pipeline says about the same request, for an agent whose resource group holds it. */
const decide = (method: HttpMethod, path: string, body?: JsonValue) =>
  decideOperation(
    { method, path, apiVersion: versionFor(path), justification: 'x', trigger: { kind: 'incident' }, idempotencyKey: 'k', ...(body !== undefined ? { body } : {}) },
    makeAgent({ resourceGroupIds: [rg] }),
    deps,
  );

beforeAll(async () => {
  handle = await startPrivateSandbox();
  const user = handle.tenant.users.find((u) => u.key === 'admin')!;
  admin = await token(user.oid, { upn: user.upn, scp: 'user_impersonation', appid: handle.tenant.elevateApp.clientId, idtyp: 'user' });
  agentCred = await token(handle.tenant.agent.uamiPrincipalId, { appid: handle.tenant.agent.uamiClientId, idtyp: 'app' });
  rg = handle.tenant.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.id;
});
afterAll(async () => handle?.close());

describe('Key Vault PUT', () => {
  const kv = () => `${rg}/providers/Microsoft.KeyVault/vaults/kv-celguard`;
  const props = (extra: Record<string, JsonValue> = {}) => ({ tenantId: handle.tenant.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true, accessPolicies: [], ...extra });

  it('creates (201) and replaces (200) a vault; a PUT that changes only tags passes Elevate', async () => {
    const created = await arm(admin, 'PUT', kv(), { location: 'westeurope', properties: props() });
    expect(created.status).toBe(201);
    const tagsOnly = { location: 'westeurope', tags: { owner: 'sre' }, properties: props() };
    expect((await decide('PUT', kv(), tagsOnly)).outcome).toBe('execute');
    const replaced = await arm(admin, 'PUT', kv(), tagsOnly);
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ id: kv(), type: 'Microsoft.KeyVault/vaults', location: 'westeurope', tags: { owner: 'sre' }, properties: { enableRbacAuthorization: true, enableSoftDelete: true, provisioningState: 'Succeeded' } });
  });

  it('resets enableRbacAuthorization to false when a PUT omits it, which is why Elevate holds such a PUT', async () => {
    const body = { location: 'westeurope', properties: { tenantId: handle.tenant.tenantId, sku: { family: 'A', name: 'standard' } } };
    expect(await decide('PUT', kv(), body)).toMatchObject({ outcome: 'pending_elevation', contentRules: [{ rule: 'key-vault-put-without-rbac-setting' }] });
    await arm(admin, 'PUT', kv(), body);
    expect(((await arm(admin, 'GET', kv())).body as { properties: Record<string, unknown> }).properties.enableRbacAuthorization).toBe(false);
  });

  it('replaces access policies from the body, which Elevate forbids', async () => {
    const body = { location: 'westeurope', properties: props({ enableRbacAuthorization: false, accessPolicies: [{ tenantId: handle.tenant.tenantId, objectId: handle.tenant.agent.uamiPrincipalId, permissions: { secrets: ['get'] } }] }) };
    expect(await decide('PUT', kv(), body)).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-key-vault-access-policies-in-body' } });
    const r = await arm(admin, 'PUT', kv(), body);
    expect((r.body as { properties: { accessPolicies: unknown[] } }).properties.accessPolicies).toHaveLength(1);
  });

  it('answers LocationRequired and InvalidResourceLocation as ARM does', async () => {
    const missing = await arm(admin, 'PUT', kv(), { properties: props() });
    expect(missing.status).toBe(400);
    expect(errorOf(missing)).toEqual({ code: 'LocationRequired', message: 'The location property is required for this definition.' });
    const moved = await arm(admin, 'PUT', kv(), { location: 'eastus', properties: props() });
    expect(moved.status).toBe(400);
    expect(errorOf(moved).code).toBe('InvalidResourceLocation');
    expect(errorOf(moved).message).toBe("The resource 'kv-celguard' already exists in location 'westeurope' in resource group 'rg-sre-apps'. A resource with the same name cannot be created in location 'eastus'. Please select a new resource name.");
  });

  it('refuses the agent (Reader) with AuthorizationFailed before looking at the body', async () => {
    const r = await arm(agentCred, 'PUT', kv(), { location: 'westeurope', properties: props() });
    expect(r.status).toBe(403);
    expect(errorOf(r).code).toBe('AuthorizationFailed');
  });
});

describe('Key Vault PATCH: what it leaves behind (merged)', () => {
  const kv = () => `${rg}/providers/Microsoft.KeyVault/vaults/kv-merged`;
  const openToAll = { properties: { networkAcls: { defaultAction: 'Deny', ipRules: [{ value: '0.0.0.0/0' }] } } };
  /** The decision with the production reader: GET through the ARM pipeline client with the agent's own token. */
  const decideReading = (method: HttpMethod, path: string, body: JsonValue, cred: TokenCredential) => {
    const reader = createCurrentResourceReader({ armClientFor: armClientsByCredential(resolveAzureEndpoints(parseConfig({}), handle)), agentCredential: () => cred });
    return decideOperation(
      { method, path, apiVersion: versionFor(path), justification: 'x', trigger: { kind: 'incident' }, idempotencyKey: 'k', body },
      makeAgent({ resourceGroupIds: [rg] }),
      createDecisionDeps(policies, { check: async () => granted }, { readCurrentResource: reader }),
    );
  };

  it('passes an internet-wide IP rule on a vault with public access disabled, holds it once public access is on', async () => {
    const created = await arm(admin, 'PUT', kv(), { location: 'westeurope', properties: { tenantId: handle.tenant.tenantId, sku: { family: 'A', name: 'standard' }, enableRbacAuthorization: true, publicNetworkAccess: 'Disabled' } });
    expect(created.status).toBe(201);
    expect((await decideReading('PATCH', kv(), openToAll, agentCred)).outcome).toBe('execute');
    // ARM merges the PATCH: public access stays Disabled, the IP rule is there and reaches no one.
    const patched = await arm(admin, 'PATCH', kv(), openToAll);
    expect(patched.body).toMatchObject({ properties: { publicNetworkAccess: 'Disabled', networkAcls: { ipRules: [{ value: '0.0.0.0/0' }] } } });

    const turnedOn = await arm(admin, 'PATCH', kv(), { properties: { publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Deny', ipRules: [] } } });
    expect(turnedOn.status).toBe(200);
    const held = await decideReading('PATCH', kv(), openToAll, agentCred);
    expect(held).toMatchObject({ outcome: 'pending_elevation', reasonCode: 'content_rule', approversRequired: 2, contentRules: [{ rule: 'key-vault-firewall-open-to-internet', elevation: true, approvers: 2 }] });
    expect(held.contentRules![0]!.failedClosed).toBeUndefined();
  });

  it('holds the PATCH when the agent cannot read the vault, or it does not exist, naming what ARM answered', async () => {
    const stranger = await token('00000000-0000-4000-8000-00000000dead', { appid: '00000000-0000-4000-8000-00000000beef', idtyp: 'app' });
    const denied = await decideReading('PATCH', kv(), openToAll, stranger);
    expect(denied).toMatchObject({ outcome: 'pending_elevation', contentRules: [{ rule: 'key-vault-firewall-open-to-internet', failedClosed: "the resource as it is could not be read (ARM answered 403 AuthorizationFailed to the agent's read of it), so what this PATCH leaves behind is not known" }] });
    const missing = await decideReading('PATCH', `${rg}/providers/Microsoft.KeyVault/vaults/kv-nowhere`, openToAll, agentCred);
    expect(missing.contentRules![0]!.failedClosed).toContain('ARM answered 404 ResourceNotFound');
  });
});

describe('SQL server, storage account and NSG PUT', () => {
  it('stores publicNetworkAccess and administrators as sent; Elevate holds and forbids them', async () => {
    const sql = `${rg}/providers/Microsoft.Sql/servers/sql-celguard`;
    const open = { location: 'westeurope', properties: { publicNetworkAccess: 'Enabled', minimalTlsVersion: '1.2' } };
    expect(await decide('PUT', sql, open)).toMatchObject({ outcome: 'pending_elevation', approversRequired: 2 });
    expect((await arm(admin, 'PUT', sql, open)).body).toMatchObject({ properties: { publicNetworkAccess: 'Enabled' } });
    const closed = { location: 'westeurope', properties: { publicNetworkAccess: 'Disabled', minimalTlsVersion: '1.2' } };
    expect((await decide('PUT', sql, closed)).outcome).toBe('execute');
    expect((await arm(admin, 'PUT', sql, closed)).status).toBe(200);
    const withAdmin = { location: 'westeurope', properties: { publicNetworkAccess: 'Disabled', administrators: { administratorType: 'ActiveDirectory', login: 'x', sid: handle.tenant.agent.uamiPrincipalId } } };
    expect(await decide('PUT', sql, withAdmin)).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-sql-admin-in-body' } });
  });

  it('stores allowSharedKeyAccess; Elevate holds switching it on', async () => {
    const st = `${rg}/providers/Microsoft.Storage/storageAccounts/stcelguard`;
    const on = { location: 'westeurope', kind: 'StorageV2', sku: { name: 'Standard_LRS' }, properties: { allowSharedKeyAccess: true, publicNetworkAccess: 'Disabled' } };
    expect(await decide('PUT', st, on)).toMatchObject({ outcome: 'pending_elevation', contentRules: [{ rule: 'storage-shared-key-on' }] });
    const r = await arm(admin, 'PUT', st, on);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'StorageV2', sku: { name: 'Standard_LRS' }, properties: { allowSharedKeyAccess: true } });
  });

  it('creates an NSG and a security rule under it; Elevate forbids RDP from the internet, passes HTTPS', async () => {
    const nsg = `${rg}/providers/Microsoft.Network/networkSecurityGroups/nsg-celguard`;
    const https = { location: 'westeurope', properties: { securityRules: [{ name: 'https', properties: { priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: 'Internet', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '443' } }] } };
    expect((await decide('PUT', nsg, https)).outcome).toBe('execute');
    expect((await arm(admin, 'PUT', nsg, https)).status).toBe(201);
    const rdp = { properties: { priority: 110, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '3389' } };
    expect(await decide('PUT', `${nsg}/securityRules/rdp`, rdp)).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-nsg-management-ports-open' } });
    const r = await arm(admin, 'PUT', `${nsg}/securityRules/rdp`, rdp);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: `${nsg}/securityRules/rdp`, type: 'Microsoft.Network/networkSecurityGroups/securityRules', properties: { destinationPortRange: '3389' } });
    const orphan = await arm(admin, 'PUT', `${rg}/providers/Microsoft.Network/networkSecurityGroups/nsg-none/securityRules/rdp`, rdp);
    expect(orphan.status).toBe(404);
    expect(errorOf(orphan).code).toBe('ResourceNotFound');
  });
});

describe('diagnostic settings PUT', () => {
  const app = () => handle.tenant.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.find((r) => r.type === 'Microsoft.App/containerApps')!.id;
  const diag = () => `${app()}/providers/Microsoft.Insights/diagnosticSettings/to-law`;
  const workspaceId = () => `${rg}/providers/Microsoft.OperationalInsights/workspaces/log-sre`;

  it('stores a setting on an existing resource; Elevate forbids one that sends no log', async () => {
    const someLogs = { properties: { workspaceId: workspaceId(), logs: [{ categoryGroup: 'allLogs', enabled: true }] } };
    expect((await decide('PUT', diag(), someLogs)).outcome).toBe('execute');
    const r = await arm(admin, 'PUT', diag(), someLogs);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: diag(), name: 'to-law', type: 'Microsoft.Insights/diagnosticSettings' });
    const noLogs = { properties: { workspaceId: workspaceId(), logs: [{ categoryGroup: 'allLogs', enabled: false }] } };
    expect(await decide('PUT', diag(), noLogs)).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-diagnostic-logs-off' } });
    expect((await arm(admin, 'PUT', diag(), noLogs)).status).toBe(200);
  });

  it('refuses a setting without a destination, and one on a resource that does not exist', async () => {
    const none = await arm(admin, 'PUT', diag(), { properties: { logs: [{ categoryGroup: 'allLogs', enabled: true }] } });
    expect(none.status).toBe(400);
    const missing = await arm(admin, 'PUT', `${rg}/providers/Microsoft.App/containerApps/ca-none/providers/Microsoft.Insights/diagnosticSettings/x`, { properties: { workspaceId: workspaceId(), logs: [] } });
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe('ResourceNotFound');
  });
});

describe('container app identity', () => {
  const ca = () => `${rg}/providers/Microsoft.App/containerApps/ca-celguard`;

  it("attaches Elevate's own identity for a Contributor (what Elevate forbids the agent)", async () => {
    const elevateId = handle.tenant.elevateApp.managedIdentity!.resourceId;
    const body = { location: 'westeurope', identity: { type: 'UserAssigned', userAssignedIdentities: { [elevateId]: {} } }, properties: { configuration: {}, template: { containers: [{ name: 'web', image: 'nginx' }] } } };
    expect(await decide('PUT', ca(), body)).toMatchObject({ outcome: 'forbidden', guardrail: { rule: 'no-foreign-identity-attach' } });
    const r = await arm(admin, 'PUT', ca(), body);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ identity: { type: 'UserAssigned', userAssignedIdentities: { [elevateId]: { principalId: handle.tenant.elevateApp.managedIdentity!.principalId, clientId: handle.tenant.elevateApp.managedIdentity!.clientId } } } });
  });

  it("detaches it with a PATCH (null), which Elevate holds for an administrator rather than forbids", async () => {
    const elevateId = handle.tenant.elevateApp.managedIdentity!.resourceId;
    // Detaching the last user-assigned identity takes type None (an empty UserAssigned is refused).
    const detach = { identity: { type: 'None', userAssignedIdentities: { [elevateId]: null } } };
    expect(await decide('PATCH', ca(), detach)).toMatchObject({ outcome: 'pending_elevation', reasonCode: 'content_rule', contentRules: [{ rule: 'identity-change-needs-elevation' }] });
    const r = await arm(admin, 'PATCH', ca(), detach);
    expect(r.status).toBe(200);
    expect(r.body).not.toHaveProperty('identity');
  });

  it('passes a container app PUT without identity and refuses an identity that does not exist', async () => {
    const plain = { location: 'westeurope', properties: { template: { containers: [{ name: 'web', image: 'nginx' }] } } };
    expect((await decide('PUT', ca(), plain)).outcome).toBe('execute');
    expect((await arm(admin, 'PUT', ca(), plain)).body).not.toHaveProperty('identity');
    const ghost = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ghost`;
    const r = await arm(admin, 'PUT', ca(), { ...plain, identity: { type: 'UserAssigned', userAssignedIdentities: { [ghost]: {} } } });
    expect(r.status).toBe(400);
    expect(errorOf(r).message).toContain('was not found');
  });

  it('refuses a caller that may write the app but not assign the identity with LinkedAuthorizationFailed', async () => {
    // The agent's UAMI gets Container Apps Contributor on the group (by Elevate's governance app,
    // User Access Administrator), which does not include userAssignedIdentities/assign/action.
    const sub = rg.split('/')[2]!;
    const governance = await token(handle.tenant.elevateApp.servicePrincipalId, { appid: handle.tenant.elevateApp.clientId, idtyp: 'app' });
    const assignment = `${rg}/providers/Microsoft.Authorization/roleAssignments/6f1d2c3b-0000-4000-8000-00000000c14a`;
    const granted = await armRequest(governance, 'PUT', `${handle.armEndpoint}${assignment}?api-version=2022-04-01`, {
      body: { properties: { roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/358470bc-b998-42bd-ab17-a7e34c199c0f`, principalId: handle.tenant.agent.uamiPrincipalId, principalType: 'ServicePrincipal' } },
    });
    expect(granted.status).toBe(201);
    const elevateId = handle.tenant.elevateApp.managedIdentity!.resourceId;
    const r = await arm(agentCred, 'PUT', ca(), { location: 'westeurope', identity: { type: 'UserAssigned', userAssignedIdentities: { [elevateId]: {} } }, properties: {} });
    expect(r.status).toBe(403);
    expect(errorOf(r)).toEqual({
      code: 'LinkedAuthorizationFailed',
      message: `The client '${handle.tenant.agent.uamiPrincipalId}' with object id '${handle.tenant.agent.uamiPrincipalId}' has permission to perform action 'Microsoft.App/containerApps/write' on scope '${ca()}'; however, it does not have permission to perform action(s) 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${elevateId}' (respectively) or the linked scope(s) are invalid.`,
    });
    // Without an identity the same caller's PUT goes through.
    expect((await arm(agentCred, 'PUT', ca(), { location: 'westeurope', properties: {} })).status).toBe(200);
  });

  it('answers a body that is not an object with InvalidRequestContent', async () => {
    const r = await arm(admin, 'PUT', ca(), ['not', 'an', 'object']);
    expect(r.status).toBe(400);
    expect(errorOf(r).code).toBe('InvalidRequestContent');
  });
});
