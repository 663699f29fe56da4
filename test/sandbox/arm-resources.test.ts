import { randomUUID } from 'node:crypto';
import { ManagedIdentityCredential } from '@azure/identity';
import { beforeAll, describe, expect, it } from 'vitest';
import { armRequest, staticCredential, type ArmResponse } from '../support/arm-request.ts';
import { sandboxActivityLog } from '../support/sandbox-admin.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { armTokenForUser, userTokenForElevate } from '../support/sandbox-msal.ts';
import { decodeClaims, forgeSandboxToken, tamperSignature } from '../support/token-forge.ts';

const s = () => sandboxInfo();
const rg = (name: string) => s().tenant.resourceGroups.find((g) => g.name === name)!;
const res = (group: string, type: string, name?: string) => rg(group).resources.find((r) => r.type === type && (name === undefined || r.name === name))!;
const agent = () => s().tenant.agent;
const V = (apiVersion: string) => `?api-version=${apiVersion}`;
const errorOf = (r: ArmResponse) => (r.body as { error: { code: string; message: string } }).error;

describe('ARM resource operations, checked against the caller’s RBAC', () => {
  let adminArm: ReturnType<typeof staticCredential>;
  const agentCred = () => new ManagedIdentityCredential({ clientId: agent().uamiClientId });

  beforeAll(async () => {
    adminArm = staticCredential(await armTokenForUser('admin'));
  });

  it('refuses the agent a container app revision restart with ARM’s AuthorizationFailed', async () => {
    const app = res('rg-sre-apps', 'Microsoft.App/containerApps', 'ca-checkout');
    const revision = app.children.find((c) => c.name === 'ca-checkout--v2')!;
    const r = await armRequest(agentCred(), 'POST', `${revision.id}/restart${V('2024-03-01')}`);
    expect(r.status).toBe(403);
    expect(r.body).toEqual({
      error: {
        code: 'AuthorizationFailed',
        message: `The client '${agent().uamiPrincipalId}' with object id '${agent().uamiPrincipalId}' does not have authorization to perform action 'Microsoft.App/containerApps/revisions/restart/action' over scope '${revision.id}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      },
    });
    // but reading it is within the agent's Reader baseline
    const get = await armRequest(agentCred(), 'GET', `${revision.id}${V('2024-03-01')}`);
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ id: revision.id, type: 'Microsoft.App/containerApps/revisions', properties: { active: true } });
  });

  it('lets the approver restart it on their own (on-behalf-of) token, and logs both attempts', async () => {
    const revision = res('rg-sre-apps', 'Microsoft.App/containerApps', 'ca-checkout').children.find((c) => c.name === 'ca-checkout--v2')!;
    const correlation = randomUUID();
    const r = await armRequest(adminArm, 'POST', `${revision.id}/restart${V('2024-03-01')}`, { headers: { 'x-ms-correlation-request-id': correlation } });
    expect(r.status).toBe(200);
    expect(r.headers['x-ms-correlation-request-id']).toBe(correlation);
    expect(r.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const events = await sandboxActivityLog();
    const mine = events.find((e) => e.correlationId === correlation)!;
    expect(mine).toMatchObject({ action: 'Microsoft.App/containerApps/revisions/restart/action', callerObjectId: sandboxUser('admin').oid, caller: sandboxUser('admin').upn, status: 'Succeeded' });
    expect(events.some((e) => e.callerObjectId === agent().uamiPrincipalId && e.status === 'Failed' && e.subStatus === 'Forbidden')).toBe(true);

    // the Activity Log API shows the same event
    const log = await armRequest(adminArm, 'GET', `/subscriptions/${s().tenant.subscriptions[0]!.subscriptionId}/providers/Microsoft.Insights/eventtypes/management/values${V('2015-04-01')}&$filter=${encodeURIComponent(`correlationId eq '${correlation}'`)}`);
    expect(log.status).toBe(200);
    expect((log.body as { value: Array<{ operationName: { value: string } }> }).value[0]!.operationName.value).toBe('Microsoft.App/containerApps/revisions/restart/action');
  });

  it('restarts a VM asynchronously: 202, Azure-AsyncOperation InProgress then Succeeded', async () => {
    const vm = res('rg-sre-vms', 'Microsoft.Compute/virtualMachines', 'vm-sre-worker-01');
    const r = await armRequest(adminArm, 'POST', `${vm.id}/deallocate${V('2024-07-01')}`);
    expect(r.status).toBe(202);
    const asyncOp = r.headers['azure-asyncoperation']!;
    expect(asyncOp).toMatch(new RegExp(`^${s().origin}/subscriptions/[0-9a-f-]+/providers/Microsoft.Compute/locations/westeurope/operations/[0-9a-f-]+\\?api-version=2024-07-01$`));
    expect(r.headers.location).toContain('/operationResults/');
    const first = await armRequest(adminArm, 'GET', asyncOp);
    expect(first.body).toMatchObject({ status: 'InProgress' });
    const second = await armRequest(adminArm, 'GET', asyncOp);
    expect(second.body).toMatchObject({ status: 'Succeeded' });
    expect((await armRequest(adminArm, 'GET', r.headers.location!)).status).toBe(200);
    const view = await armRequest(adminArm, 'GET', `${vm.id}/instanceView${V('2024-07-01')}`);
    expect((view.body as { statuses: Array<{ code: string }> }).statuses.map((x) => x.code)).toContain('PowerState/deallocated');

    const start = await armRequest(adminArm, 'POST', `${vm.id}/start${V('2024-07-01')}`);
    await armRequest(adminArm, 'GET', start.headers['azure-asyncoperation']!);
    await armRequest(adminArm, 'GET', start.headers['azure-asyncoperation']!);
    const expanded = await armRequest(adminArm, 'GET', `${vm.id}${V('2024-07-01')}&$expand=instanceView`);
    expect(JSON.stringify(expanded.body)).toContain('PowerState/running');
    // someone else cannot watch the operation
    expect((await armRequest(agentCred(), 'GET', start.headers['azure-asyncoperation']!)).status).toBe(404);
    // and a Reader cannot start it
    expect((await armRequest(agentCred(), 'POST', `${vm.id}/restart${V('2024-07-01')}`)).status).toBe(403);
  });

  it('scales an AKS agent pool, validating the count', async () => {
    const aks = res('rg-aks', 'Microsoft.ContainerService/managedClusters');
    const pool = aks.children.find((c) => c.name === 'userpool')!;
    const ok = await armRequest(adminArm, 'PUT', `${pool.id}${V('2024-09-01')}`, { body: { properties: { count: 4 } } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: 'userpool', properties: { count: 4, mode: 'User', provisioningState: 'Succeeded' } });
    const bad = await armRequest(adminArm, 'PUT', `${pool.id}${V('2024-09-01')}`, { body: { properties: { count: -1 } } });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).code).toBe('InvalidParameter');
    const system = aks.children.find((c) => c.name === 'systempool')!;
    expect((await armRequest(adminArm, 'PUT', `${system.id}${V('2024-09-01')}`, { body: { properties: { count: 0 } } })).status).toBe(400);
    const notJson = await armRequest(adminArm, 'PUT', `${pool.id}${V('2024-09-01')}`, { body: ['count', 3] });
    expect(notJson.status).toBe(400);
    // the sandbox is shared by the whole run: put the seeded value back
    expect((await armRequest(adminArm, 'PUT', `${pool.id}${V('2024-09-01')}`, { body: { properties: { count: 2 } } })).status).toBe(200);
  });

  it('restarts an App Service app and updates a container app and a storage account (PATCH)', async () => {
    const site = res('rg-web', 'Microsoft.Web/sites');
    expect((await armRequest(adminArm, 'POST', `${site.id}/restart${V('2023-12-01')}`)).status).toBe(200);

    const app = res('rg-sre-apps', 'Microsoft.App/containerApps', 'ca-payments');
    const patched = await armRequest(adminArm, 'PATCH', `${app.id}${V('2024-03-01')}`, { body: { properties: { template: { scale: { maxReplicas: 20 } } }, tags: { incident: 'INC-1' } } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ tags: { incident: 'INC-1' }, properties: { template: { scale: { minReplicas: 3, maxReplicas: 20 } } } });
    await armRequest(adminArm, 'PATCH', `${app.id}${V('2024-03-01')}`, { body: { properties: { template: { scale: { maxReplicas: 12 } } }, tags: {} } });

    const storage = res('rg-data', 'Microsoft.Storage/storageAccounts');
    const st = await armRequest(adminArm, 'PATCH', `${storage.id}${V('2023-05-01')}`, { body: { properties: { minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false, __proto__: { polluted: true } } } });
    expect(st.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const moved = await armRequest(adminArm, 'PATCH', `${storage.id}${V('2023-05-01')}`, { body: { location: 'eastus' } });
    expect(moved.status).toBe(400);
    // a Reader (the agent has none on rg-data at all) cannot
    expect((await armRequest(agentCred(), 'PATCH', `${storage.id}${V('2023-05-01')}`, { body: { tags: {} } })).status).toBe(403);
  });

  it('answers a deny assignment with DenyAssignmentAuthorizationFailed', async () => {
    const kv = res('rg-data', 'Microsoft.KeyVault/vaults');
    const r = await armRequest(adminArm, 'DELETE', `${kv.id}${V('2023-07-01')}`);
    expect(r.status).toBe(403);
    expect(errorOf(r).code).toBe('DenyAssignmentAuthorizationFailed');
    expect(errorOf(r).message).toContain("deny assignment with name 'Protect kv-sre-data from deletion'");
  });

  it('reads: resource by id, child collections, resource groups and resources with $top paging', async () => {
    const app = res('rg-sre-apps', 'Microsoft.App/containerApps', 'ca-checkout');
    const revisions = await armRequest(agentCred(), 'GET', `${app.id}/revisions${V('2024-03-01')}`);
    expect((revisions.body as { value: Array<{ name: string }> }).value.map((x) => x.name).sort()).toEqual(['ca-checkout--v1', 'ca-checkout--v2']);

    const first = await armRequest(agentCred(), 'GET', `${rg('rg-sre-apps').id}/resources${V('2021-04-01')}&$top=2`);
    const page1 = first.body as { value: Array<{ id: string }>; nextLink?: string };
    expect(page1.value).toHaveLength(2);
    expect(page1.nextLink!.startsWith(`${s().origin}/subscriptions/`)).toBe(true);
    const page2 = (await armRequest(agentCred(), 'GET', page1.nextLink!)).body as { value: Array<{ id: string }>; nextLink?: string };
    expect(page2.value.length).toBeGreaterThan(0);
    expect(page2.value.some((v) => page1.value.some((w) => w.id === v.id))).toBe(false);

    // the standard user reads rg-sre-apps directly and rg-web through its group, nothing else
    const standard = staticCredential(await armTokenForUser('standard'));
    const groups = await armRequest(standard, 'GET', `/subscriptions/${agent().subscriptionId}/resourcegroups${V('2021-04-01')}&$top=100`);
    expect((groups.body as { value: Array<{ name: string }> }).value.map((g) => g.name).sort()).toEqual(['rg-sre-apps', 'rg-web']);
    expect((await armRequest(standard, 'GET', `${rg('rg-aks').id}${V('2021-04-01')}`)).status).toBe(403);
    const subs = await armRequest(standard, 'GET', `/subscriptions${V('2022-12-01')}`);
    expect((subs.body as { value: Array<{ subscriptionId: string }> }).value.map((x) => x.subscriptionId)).toEqual([agent().subscriptionId]);
    const noRgInSub2 = await armRequest(standard, 'GET', `/subscriptions/${s().tenant.subscriptions[1]!.subscriptionId}/resourcegroups${V('2021-04-01')}`);
    expect(noRgInSub2.status).toBe(403);

    const missing = await armRequest(adminArm, 'GET', `${rg('rg-web').id}/providers/Microsoft.Web/sites/nope${V('2023-12-01')}`);
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe('ResourceNotFound');
    const noRg = await armRequest(adminArm, 'GET', `/subscriptions/${agent().subscriptionId}/resourceGroups/rg-nope${V('2021-04-01')}`);
    expect(errorOf(noRg).code).toBe('ResourceGroupNotFound');
  });

  it('management groups: the auditor reads the hierarchy it has access to', async () => {
    const auditorArm = staticCredential(await armTokenForUser('auditor'));
    const mg = await armRequest(auditorArm, 'GET', `/providers/Microsoft.Management/managementGroups/mg-sre-platform${V('2021-04-01')}&$expand=children`);
    expect(mg.status).toBe(200);
    expect((mg.body as { properties: { children: Array<{ name: string }> } }).properties.children.map((c) => c.name).sort()).toEqual(s().tenant.subscriptions.map((x) => x.subscriptionId).sort());
    const desc = await armRequest(auditorArm, 'GET', `/providers/Microsoft.Management/managementGroups/mg-sre-platform/descendants${V('2020-05-01')}`);
    expect((desc.body as { value: unknown[] }).value).toHaveLength(2);
    expect((await armRequest(agentCred(), 'GET', `/providers/Microsoft.Management/managementGroups/mg-sre-platform${V('2021-04-01')}`)).status).toBe(403);
  });
});

describe('ARM request validation and authentication', () => {
  const path = () => `/subscriptions/${s().tenant.subscriptions[0]!.subscriptionId}/resourcegroups`;

  it('requires api-version', async () => {
    const r = await armRequest(new ManagedIdentityCredential({ clientId: agent().uamiClientId }), 'GET', path());
    expect(r.status).toBe(400);
    expect(errorOf(r).code).toBe('MissingApiVersionParameter');
    const bad = await armRequest(new ManagedIdentityCredential({ clientId: agent().uamiClientId }), 'GET', `${path()}?api-version=latest`);
    expect(errorOf(bad).code).toBe('InvalidApiVersionParameter');
  });

  it('401s: missing header, wrong audience, expired, tampered, wrong tenant', async () => {
    const url = `${path()}${V('2021-04-01')}`;
    const missing = await armRequest(undefined, 'GET', url);
    expect(missing.status).toBe(401);
    expect(errorOf(missing).code).toBe('AuthenticationFailed');
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer authorization_uri="https:\/\/localhost:\d+\/[0-9a-f-]+", error="invalid_token"/);

    const elevateToken = await userTokenForElevate('admin');
    const wrongAud = await armRequest(undefined, 'GET', url, { rawAuthorization: `Bearer ${elevateToken}` });
    expect(wrongAud.status).toBe(401);
    expect(errorOf(wrongAud).code).toBe('InvalidAuthenticationTokenAudience');

    const good = await armTokenForUser('admin');
    const now = Math.floor(Date.now() / 1000);
    const expired = await forgeSandboxToken({ ...decodeClaims(good), iat: now - 7200, nbf: now - 7200, exp: now - 10 });
    const exp = await armRequest(undefined, 'GET', url, { rawAuthorization: `Bearer ${expired}` });
    expect(exp.status).toBe(401);
    expect(errorOf(exp).code).toBe('ExpiredAuthenticationToken');

    const tampered = await armRequest(undefined, 'GET', url, { rawAuthorization: `Bearer ${tamperSignature(good)}` });
    expect(tampered.status).toBe(401);
    expect(errorOf(tampered).code).toBe('InvalidAuthenticationToken');

    // a token whose payload was edited (a privilege escalation attempt) fails the same way
    const [h, , sig] = good.split('.') as [string, string, string];
    const edited = `${h}.${Buffer.from(JSON.stringify({ ...decodeClaims(good), oid: agent().uamiPrincipalId })).toString('base64url')}.${sig}`;
    expect(errorOf(await armRequest(undefined, 'GET', url, { rawAuthorization: `Bearer ${edited}` })).code).toBe('InvalidAuthenticationToken');

    const foreignTenant = await forgeSandboxToken({ ...decodeClaims(good), tid: '9188040d-6c67-4c5b-b112-36a304b66dad', iss: 'https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/' });
    expect(errorOf(await armRequest(undefined, 'GET', url, { rawAuthorization: `Bearer ${foreignTenant}` })).code).toBe('InvalidAuthenticationTokenTenant');

    expect(errorOf(await armRequest(undefined, 'GET', url, { rawAuthorization: 'Basic abc' })).code).toBe('AuthenticationFailed');
  });

  it('rejects paths that are not ARM shapes', async () => {
    const cred = new ManagedIdentityCredential({ clientId: agent().uamiClientId });
    const weird = await armRequest(cred, 'GET', `${rg('rg-sre-apps').id}/providers/Microsoft.App/containerApps/..%2f..%2fx${V('2024-03-01')}`);
    expect(weird.status).toBe(400);
    const unknown = await armRequest(cred, 'GET', `/subscriptions/${agent().subscriptionId}/whatever${V('2021-04-01')}`);
    expect(unknown.status).toBe(400);
  });
});
