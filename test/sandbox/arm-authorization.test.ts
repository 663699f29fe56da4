import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { staticCredential } from '../support/arm-request.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { armTokenForUser } from '../support/sandbox-msal.ts';

const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const s = () => sandboxInfo();
const sub1 = () => s().tenant.subscriptions[0]!.subscriptionId;
const rg = (name: string) => s().tenant.resourceGroups.find((g) => g.name === name)!;
const agent = () => s().tenant.agent;
/** The seeded baseline of the agent; other test files may add assignments of their own concurrently. */
const BASELINE = 'Managed by Elevate: sre-agent baseline (Reader level)';

/** Counts the HTTP requests a client sends, so paging is observed without shared counters. */
function requestCounter(): { policy: PipelinePolicy; count: () => number; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    count: () => urls.length,
    policy: {
      name: 'count-requests',
      sendRequest: (req, next) => {
        urls.push(req.url);
        return next(req);
      },
    },
  };
}

/** AuthorizationManagementClient against the sandbox: only endpoint and credentialScopes differ from Azure. */
function authClient(credential: TokenCredential, policy?: PipelinePolicy): AuthorizationManagementClient {
  return new AuthorizationManagementClient(credential, sub1(), {
    endpoint: s().armEndpoint,
    credentialScopes: ['https://management.azure.com/.default'],
    retryOptions: { maxRetries: 0 },
    ...(policy ? { additionalPolicies: [{ policy, position: 'perCall' as const }] } : {}),
  });
}

const governance = () => new ClientSecretCredential(s().tenant.tenantId, s().tenant.elevateApp.clientId, s().tenant.elevateApp.clientSecret, { authorityHost: s().authorityHost, disableInstanceDiscovery: true });

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('ARM authorization through AuthorizationManagementClient', () => {
  it('lists a subscription’s assignments across pages (absolute nextLink, for await)', async () => {
    const counter = requestCounter();
    const all = await collect(authClient(governance(), counter.policy).roleAssignments.listForSubscription());
    expect(all.length).toBeGreaterThan(s().armPageSize);
    const listCalls = counter.urls.filter((u) => u.includes('/roleAssignments'));
    // other test files may add assignments meanwhile, so bound rather than pin the page count
    expect(listCalls.length).toBeGreaterThanOrEqual(Math.ceil(all.length / s().armPageSize));
    expect(listCalls.slice(1).every((u) => u.startsWith(`${s().origin}/`) && u.includes('%24skiptoken='))).toBe(true);
    const agentOnes = all.filter((a) => a.principalId === agent().uamiPrincipalId);
    expect(agentOnes.length).toBeGreaterThanOrEqual(7);
    expect(agentOnes.every((a) => a.description?.startsWith('Managed by Elevate'))).toBe(true);
    expect(new Set(all.map((a) => a.id)).size).toBe(all.length);
  });

  it("filters like ARM: atScope(), assignedTo() (groups included) and principalId eq", async () => {
    const client = authClient(governance());
    const atRg = await collect(client.roleAssignments.listForScope(rg('rg-sre-apps').id, { filter: `atScope() and assignedTo('${agent().uamiPrincipalId}')` }));
    expect(atRg.filter((a) => a.description === BASELINE).map((a) => a.scope).sort()).toEqual([rg('rg-sre-apps').id, rg('rg-sre-apps').id, rg('rg-sre-apps').id, `/subscriptions/${sub1()}`].sort());
    expect(atRg.every((a) => a.principalId === agent().uamiPrincipalId && (a.scope === rg('rg-sre-apps').id || a.scope === `/subscriptions/${sub1()}` || !a.scope?.includes('/resourceGroups/')))).toBe(true);

    const everywhere = await collect(client.roleAssignments.listForScope(`/subscriptions/${sub1()}`, { filter: `principalId eq '${agent().uamiPrincipalId}'` }));
    expect(everywhere.filter((a) => a.description === BASELINE)).toHaveLength(7);
    expect(everywhere.every((a) => a.principalId === agent().uamiPrincipalId)).toBe(true);

    const standard = sandboxUser('standard');
    const viaGroup = await collect(client.roleAssignments.listForScope(rg('rg-web').id, { filter: `assignedTo('${standard.oid}')` }));
    expect(viaGroup.map((a) => a.principalId)).toContain(s().tenant.groups[0]!.id);
    expect(viaGroup.every((a) => a.principalId === standard.oid || a.principalId === s().tenant.groups[0]!.id)).toBe(true);

    // atScope at the subscription: the management-group assignment above is in, resource-group ones below are out
    const atSub = await collect(client.roleAssignments.listForScope(`/subscriptions/${sub1()}`, { filter: 'atScope()' }));
    expect(atSub.some((a) => a.scope === '/providers/Microsoft.Management/managementGroups/mg-sre-platform')).toBe(true);
    expect(atSub.some((a) => a.scope?.includes('/resourceGroups/'))).toBe(false);

    await expect(collect(client.roleAssignments.listForScope(`/subscriptions/${sub1()}`, { filter: "roleName eq 'Reader'" }))).rejects.toMatchObject({ statusCode: 400 });
  });

  it('creates, reads, refuses a duplicate of, and deletes a role assignment', async () => {
    const client = authClient(governance());
    const scope = rg('rg-web').id;
    const name = randomUUID();
    const created = await client.roleAssignments.create(scope, name, {
      roleDefinitionId: `/subscriptions/${sub1()}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
      principalId: agent().uamiPrincipalId,
      principalType: 'ServicePrincipal',
      description: 'Managed by Elevate: test grant',
    });
    try {
      expect(created).toMatchObject({ name, scope, principalId: agent().uamiPrincipalId, principalType: 'ServicePrincipal', description: 'Managed by Elevate: test grant', createdBy: s().tenant.elevateApp.servicePrincipalId });
      expect(created.roleDefinitionId).toBe(`/subscriptions/${sub1()}/providers/Microsoft.Authorization/roleDefinitions/${READER}`);
      expect((await client.roleAssignments.get(scope, name)).id).toBe(created.id);

      const dup = await client.roleAssignments
        .create(scope, randomUUID(), { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: agent().uamiPrincipalId })
        .catch((e: unknown) => e);
      expect(dup).toMatchObject({ statusCode: 409, code: 'RoleAssignmentExists' });
      // the new assignment takes effect at once
      const perms = await collect(authClient(new ManagedIdentityCredential({ clientId: agent().uamiClientId })).permissions.listForResourceGroup('rg-web'));
      expect(perms.some((p) => p.actions?.includes('*/read'))).toBe(true);
    } finally {
      const deleted = await client.roleAssignments.delete(scope, name);
      expect(deleted.name).toBe(name);
    }
    await expect(client.roleAssignments.get(scope, name)).rejects.toMatchObject({ statusCode: 404, code: 'RoleAssignmentNotFound' });
  });

  it('validates a new assignment: role definition, principal, principal type, name', async () => {
    const client = authClient(governance());
    const scope = rg('rg-web').id;
    const create = (name: string, p: { roleDefinitionId: string; principalId: string; principalType?: string }) => client.roleAssignments.create(scope, name, p).catch((e: unknown) => e);
    expect(await create(randomUUID(), { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}`, principalId: agent().uamiPrincipalId })).toMatchObject({ code: 'RoleDefinitionDoesNotExist' });
    expect(await create(randomUUID(), { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: randomUUID() })).toMatchObject({ statusCode: 400, code: 'PrincipalNotFound' });
    expect(await create(randomUUID(), { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: agent().uamiPrincipalId, principalType: 'User' })).toMatchObject({ code: 'UnmatchedPrincipalType' });
    expect(await create('not-a-guid', { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: agent().uamiPrincipalId })).toMatchObject({ code: 'InvalidRoleAssignmentId' });
  });

  it('checks the caller: the agent and a Contributor cannot write role assignments', async () => {
    const agentClient = authClient(new ManagedIdentityCredential({ clientId: agent().uamiClientId }));
    const body = { roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${READER}`, principalId: agent().uamiPrincipalId };
    const byAgent = await agentClient.roleAssignments.create(rg('rg-sre-apps').id, randomUUID(), body).catch((e: unknown) => e);
    expect(byAgent).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    expect((byAgent as Error).message).toBe(
      `The client '${agent().uamiPrincipalId}' with object id '${agent().uamiPrincipalId}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '${rg('rg-sre-apps').id}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
    const admin = authClient(staticCredential(await armTokenForUser('admin')));
    const byContributor = await admin.roleAssignments.create(rg('rg-sre-apps').id, randomUUID(), body).catch((e: unknown) => e);
    expect(byContributor).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
    expect((byContributor as Error).message).toContain(`The client '${sandboxUser('admin').upn}' with object id '${sandboxUser('admin').oid}'`);
  });

  it("reports the caller's permissions on a resource group (agent: Reader-level roles)", async () => {
    const perms = await collect(authClient(new ManagedIdentityCredential({ clientId: agent().uamiClientId })).permissions.listForResourceGroup('rg-sre-apps'));
    const actions = perms.flatMap((p) => p.actions ?? []);
    expect(actions).toContain('*/read');
    expect(actions.some((a) => a.startsWith('Microsoft.OperationalInsights/'))).toBe(true);
    expect(actions.some((a) => /\/write$/.test(a) && a.startsWith('Microsoft.App/'))).toBe(false);
    const aks = await collect(authClient(new ManagedIdentityCredential({ clientId: agent().uamiClientId })).permissions.listForResourceGroup('rg-aks'));
    // the subscription-level Monitoring Contributor reaches rg-aks; the resource-group baseline does not
    expect(aks.some((p) => p.actions?.includes('Microsoft.Insights/AlertRules/*'))).toBe(true);
    expect(aks.some((p) => p.actions?.includes('Microsoft.OperationalInsights/workspaces/analytics/query/action'))).toBe(false);
  });

  it('serves role definitions from the built-in catalog and deny assignments', async () => {
    const client = authClient(governance());
    const readers = await collect(client.roleDefinitions.list(`/subscriptions/${sub1()}`, { filter: "roleName eq 'Reader'" }));
    expect(readers).toHaveLength(1);
    expect(readers[0]).toMatchObject({ name: READER, roleName: 'Reader', roleType: 'BuiltInRole', id: `/subscriptions/${sub1()}/providers/Microsoft.Authorization/roleDefinitions/${READER}` });
    expect(readers[0]!.permissions?.[0]?.actions).toEqual(['*/read']);
    const byId = await client.roleDefinitions.get(`/subscriptions/${sub1()}`, READER);
    expect(byId.roleName).toBe('Reader');
    await expect(client.roleDefinitions.get('/', randomUUID())).rejects.toMatchObject({ statusCode: 404 });
    const all = await collect(client.roleDefinitions.list('/'));
    expect(all.length).toBeGreaterThan(20);

    const kv = rg('rg-data').resources.find((r) => r.type === 'Microsoft.KeyVault/vaults')!;
    const dataClient = new AuthorizationManagementClient(governance(), s().tenant.subscriptions[1]!.subscriptionId, { endpoint: s().armEndpoint, credentialScopes: ['https://management.azure.com/.default'] });
    const denies = await collect(dataClient.denyAssignments.listForScope(kv.id));
    expect(denies).toHaveLength(1);
    expect(denies[0]).toMatchObject({ denyAssignmentName: 'Protect kv-sre-data from deletion', isSystemProtected: true, scope: kv.id });
  });
});

describe('every built-in role definition through AuthorizationManagementClient', () => {
  const corpus = JSON.parse(readFileSync(new URL('../../../shared/azure-rbac/builtin-roles.all.json', import.meta.url), 'utf8')) as Array<{
    name: string;
    roleName: string;
    permissions: Array<{ actions: string[]; notActions: string[]; dataActions: string[]; notDataActions: string[]; condition: string | null }>;
  }>;

  it('lists all of them across pages, each equal to the real definition', async () => {
    const counter = requestCounter();
    const all = await collect(authClient(governance(), counter.policy).roleDefinitions.list(`/subscriptions/${sub1()}`));
    expect(all).toHaveLength(corpus.length);
    // paged with absolute nextLinks, which the SDK followed
    const pages = counter.urls.filter((u) => u.includes('/roleDefinitions'));
    expect(pages.length).toBe(Math.ceil(corpus.length / s().armPageSize));
    expect(pages.slice(1).every((u) => u.startsWith(s().armEndpoint) && u.toLowerCase().includes('skiptoken='))).toBe(true);
    const byGuid = new Map(all.map((r) => [r.name!, r]));
    for (const real of corpus) {
      const got = byGuid.get(real.name);
      expect(got?.roleName, real.roleName).toBe(real.roleName);
      expect(got!.id).toBe(`/subscriptions/${sub1()}/providers/Microsoft.Authorization/roleDefinitions/${real.name}`);
      expect(got!.permissions!.map((p) => ({ actions: p.actions, notActions: p.notActions, dataActions: p.dataActions, notDataActions: p.notDataActions, condition: (p as { condition?: string | null }).condition ?? null }))).toEqual(
        real.permissions.map((p) => ({ actions: p.actions, notActions: p.notActions, dataActions: p.dataActions, notDataActions: p.notDataActions, condition: p.condition })),
      );
    }
  });

  it.each(['Redis Cache Contributor', 'Backup Operator', 'Cosmos DB Operator', 'Azure Service Bus Data Owner', 'Storage Queue Data Contributor'])(
    'gets %s by id and finds it by roleName, as ARM does for roles outside the old 32',
    async (roleName) => {
      const real = corpus.find((r) => r.roleName === roleName)!;
      const client = authClient(governance());
      const byId = await client.roleDefinitions.getById(`/providers/Microsoft.Authorization/roleDefinitions/${real.name}`);
      expect(byId).toMatchObject({ name: real.name, roleName, roleType: 'BuiltInRole' });
      expect(byId.permissions?.[0]?.actions).toEqual(real.permissions[0]!.actions);
      const atSub = await client.roleDefinitions.get(`/subscriptions/${sub1()}`, real.name);
      expect(atSub.id).toBe(`/subscriptions/${sub1()}/providers/Microsoft.Authorization/roleDefinitions/${real.name}`);
      const named = await collect(client.roleDefinitions.list(`/subscriptions/${sub1()}`, { filter: `roleName eq '${roleName.toUpperCase()}'` }));
      expect(named.map((r) => r.name)).toEqual([real.name]);
    },
  );

  it('keeps refusing what ARM refuses: an unknown id, an unsupported filter, a bad skip token', async () => {
    const client = authClient(governance());
    await expect(client.roleDefinitions.getById(`/providers/Microsoft.Authorization/roleDefinitions/${randomUUID()}`)).rejects.toMatchObject({ statusCode: 404, code: 'RoleDefinitionDoesNotExist' });
    await expect(collect(client.roleDefinitions.list('/', { filter: "startswith(roleName, 'Redis')" }))).rejects.toMatchObject({ statusCode: 400 });
    expect(await collect(client.roleDefinitions.list('/', { filter: "roleName eq 'No Such Role'" }))).toEqual([]);
  });
});

describe('ARM authentication', () => {
  let adminArm: string;
  beforeAll(async () => {
    adminArm = await armTokenForUser('admin');
  });
  it('a delegated ARM token from on-behalf-of works with the SDK', async () => {
    const mine = await collect(authClient(staticCredential(adminArm)).roleAssignments.listForSubscription({ filter: `assignedTo('${sandboxUser('admin').oid}')` }));
    expect(mine.map((a) => a.roleDefinitionId?.split('/').pop())).toContain('b24988ac-6180-42a0-ab88-20f7382dd24c');
  });
});
