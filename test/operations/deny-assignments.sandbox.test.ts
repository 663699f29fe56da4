/**
 * Deny assignments the way Azure applies them, read by the operations permission cache through
 * @azure/arm-authorization and Microsoft Graph (checkMemberGroups) from the sandbox, and checked
 * against what the sandbox's ARM itself answers the agent's identity:
 * - a deny assignment at a management group applies below it even where the identity holds no
 *   role at that management group;
 * - a deny assignment naming a group the identity is in applies even when the group holds no role;
 * - an exclusion naming such a group lifts the deny.
 * https://learn.microsoft.com/en-us/azure/role-based-access-control/deny-assignments
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { ResourceManagementClient } from '@azure/arm-resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizationClient } from '../../src/azure/arm-clients.ts';
import { resolveAzureEndpoints, type AzureEndpoints } from '../../src/azure/azure-endpoints.ts';
import { createGraphMemberGroupsCheck } from '../../src/azure/graph-member-groups.ts';
import { createServiceCredential } from '../../src/azure/service-credential.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createArmPermissionSource, GroupMembershipUnknownError } from '../../src/operations/arm-permission-source.ts';
import { createPermissionCache, PermissionStateUnavailableError, type PermissionCache } from '../../src/operations/permission-cache.ts';
import { createEvaluator } from '../../src/rbac/rbac-evaluator.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import { DEFAULT_SEED_FILE } from '../../src/sandbox/seed/load-seed.ts';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { staticCredential } from '../support/arm-request.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { forgeSandboxToken } from '../support/token-forge.ts';

const SUB = 'b1995c7e-f47d-4afd-b2fc-8cf38f44e21d';
const MG = '/providers/Microsoft.Management/managementGroups/mg-sre-platform';
const RG_APPS = `/subscriptions/${SUB}/resourceGroups/rg-sre-apps`;
const RG_VMS = `/subscriptions/${SUB}/resourceGroups/rg-sre-vms`;
const VM = `${RG_VMS}/providers/Microsoft.Compute/virtualMachines/vm-sre-jump-01`;
const APP = `${RG_APPS}/providers/Microsoft.App/containerApps/ca-checkout`;
const ENV = `${RG_APPS}/providers/Microsoft.App/managedEnvironments/cae-sre`;
const EXCLUDED_GROUP = '0d9f6a61-3c2b-4e59-8f0e-6b1f7e2c4a01';
const DENIED_GROUP = '0d9f6a61-3c2b-4e59-8f0e-6b1f7e2c4a02';
const OTHER_GROUP = '0d9f6a61-3c2b-4e59-8f0e-6b1f7e2c4a03';

/** The default tenant plus two groups holding no role (the agent's UAMI is in both) and three deny assignments. */
function denySeed(): string {
  const seed = JSON.parse(readFileSync(DEFAULT_SEED_FILE, 'utf8')) as Record<string, Array<Record<string, unknown>>>;
  seed.groups!.push(
    { key: 'agent-excluded', id: EXCLUDED_GROUP, displayName: 'Break-glass automation (no role)', members: ['mi:agent'] },
    { key: 'agent-denied', id: DENIED_GROUP, displayName: 'Quarantined identities (no role)', members: ['mi:agent'] },
    { key: 'not-agent', id: OTHER_GROUP, displayName: 'Someone else', members: ['norole'] },
  );
  seed.denyAssignments!.push(
    {
      name: 'c0a80001-0000-4000-8000-000000000001',
      denyAssignmentName: 'No VM reads below the platform management group',
      scope: MG,
      actions: ['Microsoft.Compute/virtualMachines/read'],
      principals: ['mi:agent'],
    },
    {
      name: 'c0a80001-0000-4000-8000-000000000002',
      denyAssignmentName: 'Deployment stack: nobody reads container apps except the break-glass group',
      scope: `/subscriptions/${SUB}`,
      actions: ['Microsoft.App/containerApps/read'],
      principals: ['everyone'],
      excludePrincipals: ['group:agent-excluded', 'group:not-agent'],
    },
    {
      name: 'c0a80001-0000-4000-8000-000000000003',
      denyAssignmentName: 'Quarantined identities read no environments',
      scope: RG_APPS,
      actions: ['Microsoft.App/managedEnvironments/read'],
      principals: ['group:agent-denied', 'group:not-agent'],
    },
  );
  const file = join(mkdtempSync(join(tmpdir(), 'elevate-deny-seed-')), 'seed.json');
  writeFileSync(file, JSON.stringify(seed));
  return file;
}

const catalog = loadBuiltinCatalog();
let handle: SandboxHandle;
let endpoints: AzureEndpoints;
let uami: string;
let cache: PermissionCache;

function cacheWith(memberGroups: Parameters<typeof createArmPermissionSource>[0]['memberGroups']): PermissionCache {
  const governance = createServiceCredential(endpoints, { kind: 'secret', clientSecret: handle.tenant.elevateApp.clientSecret });
  return createPermissionCache({
    source: createArmPermissionSource({ clientFor: (sub) => createAuthorizationClient(governance, sub, endpoints), catalogRoles: catalog.roles, ...(memberGroups ? { memberGroups } : {}) }),
    makeEvaluator: (state) => createEvaluator(state, { catalog: [...catalog.roles] }),
    ttlMs: 60_000,
  });
}

/** What the sandbox's ARM answers the UAMI itself (a token as IMDS would issue it). */
async function armAnswers(resourceId: string): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const token = await forgeSandboxToken(
    { aud: 'https://management.azure.com/', iss: `https://sts.windows.net/${handle.tenant.tenantId}/`, tid: handle.tenant.tenantId, oid: uami, sub: uami, idtyp: 'app', appid: handle.tenant.agent.uamiClientId, iat: now, nbf: now, exp: now + 600, ver: '1.0' },
    { dataDir: handle.dataDir },
  );
  const client = new ResourceManagementClient(staticCredential(token), SUB, { endpoint: endpoints.armEndpoint, $host: endpoints.armEndpoint, credentialScopes: [endpoints.armScope] });
  try {
    await client.resources.getById(resourceId, '2024-03-01');
    return 200;
  } catch (err) {
    return (err as { statusCode?: number }).statusCode ?? -1;
  }
}

beforeAll(async () => {
  handle = await startPrivateSandbox({ seedFile: denySeed() });
  endpoints = resolveAzureEndpoints(parseConfig({}), handle);
  uami = handle.tenant.agent.uamiPrincipalId;
  const governance = createServiceCredential(endpoints, { kind: 'secret', clientSecret: handle.tenant.elevateApp.clientSecret });
  cache = cacheWith(createGraphMemberGroupsCheck(governance, endpoints));
});

afterAll(async () => {
  await handle?.close();
});

describe('deny assignments in the permission cache (SDK + Graph against the sandbox)', () => {
  it('denies below a management group where the identity holds no role, as ARM does', async () => {
    const d = await cache.check(uami, 'Microsoft.Compute/virtualMachines/read', VM);
    expect(d).toMatchObject({ allowed: false, reason: 'denied-by-deny-assignment' });
    expect(d.deniedBy[0]).toMatchObject({ scope: MG, viaPrincipalId: uami });
    // the UAMI's Reader on the resource group grants the read; only the deny takes it away
    expect((await cache.check(uami, 'Microsoft.Compute/virtualMachines/instanceView/read', VM)).allowed).toBe(true);
    expect(await armAnswers(VM)).toBe(403);
  });

  it('allows when an exclusion names a group the identity is in, that group holding no role, as ARM does', async () => {
    const d = await cache.check(uami, 'Microsoft.App/containerApps/read', APP);
    expect(d).toMatchObject({ allowed: true, reason: 'granted' });
    expect(await armAnswers(APP)).toBe(200);
    // everyone else still falls under it
    const other = await cache.check(handle.tenant.users.find((u) => u.key === 'admin')!.oid, 'Microsoft.App/containerApps/read', APP);
    expect(other.reason).toBe('denied-by-deny-assignment');
  });

  it('denies when the deny assignment names a group the identity is in, that group holding no role, as ARM does', async () => {
    const d = await cache.check(uami, 'Microsoft.App/managedEnvironments/read', ENV);
    expect(d).toMatchObject({ allowed: false, reason: 'denied-by-deny-assignment' });
    expect(d.deniedBy[0]).toMatchObject({ viaPrincipalId: DENIED_GROUP });
    expect(await armAnswers(ENV)).toBe(403);
  });

  it("lists with ARM's filters: principalId matches literally (no group expansion), gdprExportPrincipalId includes exclusions", async () => {
    const governance = createServiceCredential(endpoints, { kind: 'secret', clientSecret: handle.tenant.elevateApp.clientSecret });
    const client = createAuthorizationClient(governance, SUB, endpoints);
    const list = async (filter?: string) => {
      const out = [];
      for await (const d of client.denyAssignments.listForScope(RG_APPS, filter ? { filter } : {})) out.push(d);
      return out;
    };
    // unfiltered: at, above (management group included) and below the scope
    expect((await list()).map((d) => d.scope).sort()).toEqual([MG, `/subscriptions/${SUB}`, RG_APPS].sort());
    // the group deny names only the group, so a principalId filter does not find it: ARM cannot say who is in a group
    const mine = await list(`principalId eq '${uami}'`);
    expect(mine.map((d) => d.denyAssignmentName).sort()).toEqual(['Deployment stack: nobody reads container apps except the break-glass group', 'No VM reads below the platform management group']);
    const byGroup = await list(`gdprExportPrincipalId eq '${EXCLUDED_GROUP}'`);
    expect(byGroup).toHaveLength(1);
    expect(byGroup[0]).toMatchObject({ denyAssignmentName: 'Deployment stack: nobody reads container apps except the break-glass group' });
    expect(byGroup[0]!.permissions).toBeUndefined();
    expect((await list('atScope()')).map((d) => d.scope).sort()).toEqual([MG, `/subscriptions/${SUB}`, RG_APPS].sort());
    expect(await list("denyAssignmentName eq 'Quarantined identities read no environments'")).toHaveLength(1);
  });

  it('fails closed when group membership cannot be read (no Graph, or Graph refuses)', async () => {
    const withoutGraph = cacheWith(undefined);
    const err = await withoutGraph.check(uami, 'Microsoft.App/containerApps/read', APP).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionStateUnavailableError);
    expect((err as Error).message).toContain('Microsoft Graph');
    expect(GroupMembershipUnknownError.name).toBe('GroupMembershipUnknownError');

    // the dashboard app holds no Graph application permission: 403 Authorization_RequestDenied
    const dashboard = handle.tenant.otherApps.find((a) => a.key === 'dashboard')!;
    const unprivileged = new ClientSecretCredential(handle.tenant.tenantId, dashboard.clientId, dashboard.clientSecret!, { authorityHost: endpoints.authorityHost, disableInstanceDiscovery: true });
    const refused = cacheWith(createGraphMemberGroupsCheck(unprivileged, endpoints));
    const err2 = await refused.check(uami, 'Microsoft.App/containerApps/read', APP).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(PermissionStateUnavailableError);
    expect((err2 as Error).message).toContain('403 Authorization_RequestDenied');
  });
});
