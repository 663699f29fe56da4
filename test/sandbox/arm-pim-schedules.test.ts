/**
 * PIM for Azure resources in the sandbox, through AuthorizationManagementClient as Elevate uses it:
 * time-bound AdminAssign requests that ARM's own permission checks see and that end on the sandbox
 * clock; AdminRemove and cancel; the schedule instances list with its filters; and Azure's
 * refusals (policy maximum, existing assignment, missing licence, caller without rights).
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { TokenCredential } from '@azure/core-auth';
import { ClientSecretCredential } from '@azure/identity';
import { staticCredential } from '../support/arm-request.ts';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';

let sb: SandboxHandle;
beforeAll(async () => {
  sb = await startPrivateSandbox();
}, 30_000);
afterAll(async () => {
  await sb?.close();
});

const catalog = loadBuiltinCatalog();
const roleGuid = (name: string) => catalog.byName(name)!.name;
const sub = () => sb.tenant.subscriptions[0]!.subscriptionId;
const rg = (name: string) => sb.tenant.resourceGroups.find((g) => g.name === name)!.id;
const roleId = (name: string) => `/subscriptions/${sub()}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid(name)}`;
const agent = () => sb.tenant.agent;

function client(credential: TokenCredential): AuthorizationManagementClient {
  return new AuthorizationManagementClient(credential, sub(), { endpoint: sb.armEndpoint, credentialScopes: ['https://management.azure.com/.default'], retryOptions: { maxRetries: 0 } });
}
const governance = () => client(new ClientSecretCredential(sb.tenant.tenantId, sb.tenant.elevateApp.clientId, sb.tenant.elevateApp.clientSecret, { authorityHost: sb.authorityHost, disableInstanceDiscovery: true }));
const scopeArg = (scope: string) => scope.replace(/^\//, '');

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function refusal(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { statusCode?: number; code?: string; message: string };
  }
  throw new Error('expected a refusal');
}

const assign = (c: AuthorizationManagementClient, role: string, scope: string, expiration: Record<string, unknown>, start?: string) =>
  c.roleAssignmentScheduleRequests.create(scopeArg(scope), randomUUID(), {
    principalId: agent().uamiPrincipalId,
    roleDefinitionId: roleId(role),
    requestType: 'AdminAssign',
    justification: 'INC-7 raise',
    scheduleInfo: { ...(start ? { startDateTime: new Date(start) } : {}), expiration },
  });

describe('sandbox PIM: role assignment schedule requests', { timeout: 30_000 }, () => {
  it('grants a time-bound assignment ARM sees at once and removes it when the sandbox clock passes its end', async () => {
    const c = governance();
    const made = await assign(c, 'Container Apps Contributor', rg('rg-sre-apps'), { type: 'AfterDuration', duration: 'PT2M' });
    expect(made.status).toBe('Provisioned');
    expect(made.requestType).toBe('AdminAssign');
    expect(made.principalType).toBe('ServicePrincipal');
    expect(made.targetRoleAssignmentScheduleId).toMatch(/roleAssignmentSchedules\/[0-9a-f-]{36}$/);

    const held = sb.roleAssignmentsOf(agent().uamiPrincipalId).filter((a) => a.roleDefinitionId.endsWith(roleGuid('Container Apps Contributor')));
    expect(held).toHaveLength(1);
    const listed = await collect(c.roleAssignments.listForScope(scopeArg(rg('rg-sre-apps')), { filter: `principalId eq '${agent().uamiPrincipalId}'` }));
    expect(listed.some((a) => a.id === held[0]!.id)).toBe(true);
    const instances = await collect(c.roleAssignmentScheduleInstances.listForScope(scopeArg(rg('rg-sre-apps')), { filter: `principalId eq '${agent().uamiPrincipalId}'` }));
    expect(instances).toHaveLength(1);
    expect(instances[0]!.originRoleAssignmentId).toBe(held[0]!.id);
    expect(instances[0]!.endDateTime!.getTime() - instances[0]!.startDateTime!.getTime()).toBe(120_000);

    // The same (principal, role, scope) again: Azure refuses rather than duplicating.
    const again = await refusal(assign(c, 'Container Apps Contributor', rg('rg-sre-apps'), { type: 'AfterDuration', duration: 'PT1H' }));
    expect(again).toMatchObject({ statusCode: 409, code: 'RoleAssignmentExists' });

    sb.clock.advance(119);
    expect(sb.roleAssignmentsOf(agent().uamiPrincipalId).some((a) => a.id === held[0]!.id)).toBe(true);
    sb.clock.advance(2);
    expect(sb.roleAssignmentsOf(agent().uamiPrincipalId).some((a) => a.id === held[0]!.id)).toBe(false);
    expect(await collect(c.roleAssignmentScheduleInstances.listForScope(scopeArg(rg('rg-sre-apps')), { filter: `principalId eq '${agent().uamiPrincipalId}'` }))).toHaveLength(0);
    const stored = await c.roleAssignmentScheduleRequests.get(scopeArg(rg('rg-sre-apps')), made.name!);
    expect(stored.status).toBe('Provisioned');
  });

  it('ends an assignment early with AdminRemove, and cancels only a request not provisioned yet', async () => {
    const c = governance();
    const made = await assign(c, 'Website Contributor', rg('rg-sre-apps'), { type: 'AfterDateTime', endDateTime: new Date(sb.clock.now().getTime() + 3600_000) });
    expect(made.status).toBe('Provisioned');
    const notPending = await refusal(c.roleAssignmentScheduleRequests.cancel(scopeArg(rg('rg-sre-apps')), made.name!));
    expect(notPending.statusCode).toBe(400);
    const removed = await c.roleAssignmentScheduleRequests.create(scopeArg(rg('rg-sre-apps')), randomUUID(), {
      principalId: agent().uamiPrincipalId,
      roleDefinitionId: roleId('Website Contributor'),
      requestType: 'AdminRemove',
    });
    expect(removed.status).toBe('Revoked');
    expect(sb.roleAssignmentsOf(agent().uamiPrincipalId).some((a) => a.roleDefinitionId.endsWith(roleGuid('Website Contributor')))).toBe(false);
    const nothing = await refusal(
      c.roleAssignmentScheduleRequests.create(scopeArg(rg('rg-sre-apps')), randomUUID(), { principalId: agent().uamiPrincipalId, roleDefinitionId: roleId('Website Contributor'), requestType: 'AdminRemove' }),
    );
    expect(nothing).toMatchObject({ statusCode: 400, code: 'RoleAssignmentDoesNotExist' });

    const later = await assign(c, 'Web Plan Contributor', rg('rg-sre-apps'), { type: 'AfterDuration', duration: 'PT1H' }, new Date(sb.clock.now().getTime() + 600_000).toISOString());
    expect(later.status).toBe('Granted');
    await c.roleAssignmentScheduleRequests.cancel(scopeArg(rg('rg-sre-apps')), later.name!);
    expect((await c.roleAssignmentScheduleRequests.get(scopeArg(rg('rg-sre-apps')), later.name!)).status).toBe('Canceled');
    sb.clock.advance(700);
    expect(sb.roleAssignmentsOf(agent().uamiPrincipalId).some((a) => a.roleDefinitionId.endsWith(roleGuid('Web Plan Contributor')))).toBe(false);
    const requests = await collect(c.roleAssignmentScheduleRequests.listForScope(scopeArg(rg('rg-sre-apps')), { filter: "status eq 'Canceled'" }));
    expect(requests.map((r) => r.name)).toEqual([later.name]);
  });

  it("refuses what Azure's default policy and checks refuse", async () => {
    const c = governance();
    const tooLong = await refusal(assign(c, 'Storage Account Contributor', rg('rg-sre-apps'), { type: 'AfterDuration', duration: 'P181D' }));
    expect(tooLong).toMatchObject({ statusCode: 400, code: 'RoleAssignmentRequestPolicyValidationFailed' });
    expect(tooLong.message).toContain('ExpirationRule');
    const permanent = await refusal(assign(c, 'Storage Account Contributor', rg('rg-sre-apps'), { type: 'NoExpiration' }));
    expect(permanent).toMatchObject({ statusCode: 400, code: 'RoleAssignmentRequestPolicyValidationFailed' });
    const badDuration = await refusal(assign(c, 'Storage Account Contributor', rg('rg-sre-apps'), { type: 'AfterDuration', duration: 'two hours' }));
    expect(badDuration.statusCode).toBe(400);
    const unjustified = await refusal(
      c.roleAssignmentScheduleRequests.create(scopeArg(rg('rg-sre-apps')), randomUUID(), {
        principalId: agent().uamiPrincipalId,
        roleDefinitionId: roleId('Storage Account Contributor'),
        requestType: 'AdminAssign',
        scheduleInfo: { expiration: { type: 'AfterDuration', duration: 'PT1H' } },
      }),
    );
    expect(unjustified).toMatchObject({ statusCode: 400, code: 'RoleAssignmentRequestPolicyValidationFailed' });
    expect(unjustified.message).toContain('JustificationRule');
    const nobody = await refusal(
      c.roleAssignmentScheduleRequests.create(scopeArg(rg('rg-sre-apps')), randomUUID(), {
        principalId: randomUUID(),
        roleDefinitionId: roleId('Reader'),
        requestType: 'AdminAssign',
        justification: 'x',
        scheduleInfo: { expiration: { type: 'AfterDuration', duration: 'PT1H' } },
      }),
    );
    expect(nobody).toMatchObject({ statusCode: 400, code: 'PrincipalNotFound' });
    const selfActivate = await refusal(
      c.roleAssignmentScheduleRequests.create(scopeArg(rg('rg-sre-apps')), randomUUID(), { principalId: agent().uamiPrincipalId, roleDefinitionId: roleId('Reader'), requestType: 'SelfActivate' }),
    );
    expect(selfActivate.message).toContain('EligibilityRule');
    const badFilter = await refusal(collect(c.roleAssignmentScheduleInstances.listForScope(scopeArg(rg('rg-sre-apps')), { filter: "roleDefinitionId eq 'x'" })));
    expect(badFilter).toMatchObject({ statusCode: 400, code: 'UnsupportedQuery' });
    // The agent's own identity holds Reader only: it cannot raise itself.
    const imds = await fetch(`${sb.origin}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent('https://management.azure.com/')}&client_id=${agent().uamiClientId}`, { headers: { Metadata: 'true' } });
    const asAgent = client(staticCredential(((await imds.json()) as { access_token: string }).access_token));
    const self = await refusal(assign(asAgent, 'Storage Account Contributor', rg('rg-sre-apps'), { type: 'AfterDuration', duration: 'PT1H' }));
    expect(self).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' });
  });

  it('answers AadPremiumLicenseRequired on every call when the tenant has no P2 licence', async () => {
    const c = governance();
    sb.setPimLicensed(false);
    try {
      const create = await refusal(assign(c, 'Storage Account Contributor', rg('rg-sre-apps'), { type: 'AfterDuration', duration: 'PT1H' }));
      expect(create).toMatchObject({ statusCode: 400, code: 'AadPremiumLicenseRequired' });
      const list = await refusal(collect(c.roleAssignmentScheduleInstances.listForScope(scopeArg(rg('rg-sre-apps')))));
      expect(list).toMatchObject({ statusCode: 400, code: 'AadPremiumLicenseRequired' });
    } finally {
      sb.setPimLicensed(true);
    }
  });

  it('moves its clock and switches the licence through the admin endpoints (X-Sandbox-Admin only)', async () => {
    const post = (path: string, body: unknown, admin = true) =>
      fetch(`${sb.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(admin ? { 'x-sandbox-admin': 'true' } : {}) }, body: JSON.stringify(body) });
    expect((await post('/_sandbox/clock/advance', { seconds: 60 }, false)).status).toBe(403);
    expect((await post('/_sandbox/clock/advance', { seconds: -1 })).status).toBe(400);
    expect((await post('/_sandbox/clock/advance', { seconds: 'soon' })).status).toBe(400);
    const before = sb.clock.now().getTime();
    const moved = (await (await post('/_sandbox/clock/advance', { seconds: 3600 })).json()) as { now: string; offsetSeconds: number };
    expect(Date.parse(moved.now) - before).toBeGreaterThanOrEqual(3600_000);
    expect(moved.offsetSeconds).toBeGreaterThanOrEqual(3600);
    expect((await post('/_sandbox/pim', { licensed: 'no' })).status).toBe(400);
    expect((await post('/_sandbox/pim', { licensed: false }, false)).status).toBe(403);
    expect(await (await post('/_sandbox/pim', { licensed: false })).json()).toEqual({ licensed: false });
    try {
      expect(await (await fetch(`${sb.origin}/_sandbox/pim`)).json()).toEqual({ licensed: false });
      const refused = await refusal(assign(governance(), 'Storage Account Contributor', rg('rg-sre-apps'), { type: 'AfterDuration', duration: 'PT1H' }));
      expect(refused.code).toBe('AadPremiumLicenseRequired');
    } finally {
      await post('/_sandbox/pim', { licensed: true });
    }
  });
});
