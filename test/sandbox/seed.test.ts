import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SEED_FILE, loadSeed } from '../../src/sandbox/seed/load-seed.ts';
import { buildTenantInfo } from '../../src/sandbox/seed/tenant-info.ts';
import { ArmState } from '../../src/sandbox/state/arm-state.ts';
import { Directory } from '../../src/sandbox/state/directory.ts';

const writeSeed = (mutate: (seed: Record<string, unknown>) => void): string => {
  const seed = JSON.parse(readFileSync(DEFAULT_SEED_FILE, 'utf8')) as Record<string, unknown>;
  mutate(seed);
  const file = join(mkdtempSync(join(tmpdir(), 'elevate-seed-')), 'seed.json');
  writeFileSync(file, JSON.stringify(seed));
  return file;
};

describe('the seeded tenant (contract)', () => {
  const seed = loadSeed();
  const info = buildTenantInfo(seed, '/data');

  it('has Elevate’s app registration with its audience, scope and app roles', () => {
    expect(info.elevateApp.apiAudience).toBe(`api://${info.elevateApp.clientId}`);
    expect(info.elevateApp.delegatedScope).toBe(`api://${info.elevateApp.clientId}/user_impersonation`);
    expect(info.elevateApp.appRoles.map((r) => [r.value, r.displayName])).toEqual([
      ['SREAgent.Administrator', 'SRE Agent Administrator'],
      ['SREAgent.StandardUser', 'SRE Agent Standard User'],
      ['SREAgent.Reader', 'SRE Agent Reader'],
      ['SREAgent.Auditor', 'Auditor'],
      ['Audit.Read', 'Read the audit log (SIEM)'],
      ['ActionGroupsSecureWebhook', 'Azure Monitor action groups deliver alerts (secure webhook)'],
    ]);
    expect(info.elevateApp.appRoles.find((r) => r.value === 'Audit.Read')!.allowedMemberTypes).toEqual(['Application']);
    // The secure webhook's role is for the action group app's service principal only.
    expect(info.elevateApp.appRoles.find((r) => r.value === 'ActionGroupsSecureWebhook')!.allowedMemberTypes).toEqual(['Application']);
    expect(info.otherApps.find((a) => a.clientId === '461e8683-5575-4561-ac7f-899cc907d62a')?.elevateAppRoles).toEqual(['ActionGroupsSecureWebhook']);
  });

  it('has the users the contract names, with their kinds and roles', () => {
    const byKey = Object.fromEntries(info.users.map((u) => [u.key, u]));
    expect(Object.keys(byKey).sort()).toEqual(['admin', 'admin2', 'auditor', 'guest', 'norole', 'personal', 'reader', 'standard', 'uninvited']);
    expect(byKey.admin!.appRoles).toEqual(['SREAgent.Administrator']);
    expect(byKey.admin!.azureRoles.map((r) => r.roleName)).toEqual(['Contributor', 'Contributor']);
    expect(byKey.admin2!.azureRoles.map((r) => r.scope)).toEqual(info.subscriptions.map((s) => s.id));
    // invited as a guest: the tenant's tid; home is the consumers tenant
    expect(byKey.personal).toMatchObject({ kind: 'personal', invited: true, tokenTenantId: info.tenantId, homeTenantId: '9188040d-6c67-4c5b-b112-36a304b66dad', appRoles: ['SREAgent.Administrator'] });
    expect(byKey.uninvited).toMatchObject({ kind: 'personal', invited: false, homeTenantId: '9188040d-6c67-4c5b-b112-36a304b66dad', appRoles: [] });
    expect(byKey.guest).toMatchObject({ kind: 'guest', tokenTenantId: info.tenantId, appRoles: ['SREAgent.Administrator'] });
    expect(byKey.guest!.homeTenantId).not.toBe(info.tenantId);
    expect(byKey.norole!.appRoles).toEqual([]);
    // Entra's default for a new app registration: no optional claims (no auth_time, no acct)
    expect(info.elevateApp.optionalClaims).toEqual({ idToken: [], accessToken: [] });
    expect(info.elevateApp.agentScope).toBe(`${info.elevateApp.apiAudience}/.default`);
    expect(byKey.standard!.azureRoles.some((r) => r.viaGroup === 'SRE On-Call')).toBe(true);
  });

  it('has one management group over two subscriptions and the resource groups', () => {
    expect(info.managementGroups).toHaveLength(1);
    expect(info.managementGroups[0]!.subscriptionIds).toEqual(info.subscriptions.map((s) => s.subscriptionId));
    const names = info.resourceGroups.map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['rg-sre-apps', 'rg-sre-vms', 'rg-aks', 'rg-web', 'rg-data']));
    expect(info.resourceGroups.find((g) => g.name === 'rg-data')!.subscriptionId).toBe(info.subscriptions[1]!.subscriptionId);
    const apps = info.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.filter((r) => r.type === 'Microsoft.App/containerApps');
    expect(apps).toHaveLength(2);
    expect(apps.every((a) => a.children.length > 0)).toBe(true);
    const vms = info.resourceGroups.find((g) => g.name === 'rg-sre-vms')!.resources.map((r) => r.type);
    expect(vms.filter((t) => t === 'Microsoft.Compute/virtualMachines')).toHaveLength(2);
    expect(vms).toContain('Microsoft.Compute/virtualMachineScaleSets');
  });

  it("gives the agent its Reader-level baseline, each marked 'Managed by Elevate'", () => {
    expect(info.agent.name).toBe('sre-agent');
    expect(info.agent.resourceGroupIds).toEqual(['rg-sre-apps', 'rg-sre-vms'].map((n) => info.resourceGroups.find((g) => g.name === n)!.id));
    const directory = new Directory(seed, { origin: 'https://localhost:1', certificates: new Map() });
    const state = new ArmState(seed, directory);
    const mine = state.allAssignments().filter((a) => a.principalId === info.agent.uamiPrincipalId);
    const byScope = (scope: string) => mine.filter((a) => a.scope === scope).map((a) => state.roleDefinition(a.roleDefinitionId.split('/').pop()!)!.roleName).sort();
    for (const rg of info.agent.resourceGroupIds) expect(byScope(rg)).toEqual(['Log Analytics Reader', 'Monitoring Reader', 'Reader']);
    expect(byScope(`/subscriptions/${info.agent.subscriptionId}`)).toEqual(['Monitoring Contributor']);
    expect(mine.every((a) => a.description?.startsWith('Managed by Elevate'))).toBe(true);
    const elevateSp = state.allAssignments().filter((a) => a.principalId === info.elevateApp.servicePrincipalId);
    expect(elevateSp.filter((a) => !a.scope.includes('/providers/')).map((a) => a.scope)).toEqual(info.subscriptions.map((s) => s.id));
    // and Storage Blob Data Contributor on the storage account, for the audit checkpoint containers
    expect(elevateSp.filter((a) => a.scope.includes('/providers/')).map((a) => [state.roleDefinition(a.roleDefinitionId.split('/').pop()!)!.roleName, a.scope.split('/').pop()])).toEqual([
      ['Storage Blob Data Contributor', 'stsredata01'],
    ]);
    expect(elevateSp.every((a) => !a.description?.startsWith('Managed by Elevate'))).toBe(true);
  });
});

describe('seed validation', () => {
  it('reports a bad seed in one line naming the file and the field', () => {
    const bad = writeSeed((s) => {
      (s.users as Array<Record<string, unknown>>)[0]!.oid = 'not-a-guid';
    });
    expect(() => loadSeed(bad)).toThrow(new RegExp(`^sandbox seed ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: users\\.0\\.oid: expected a GUID$`));
    const typo = writeSeed((s) => {
      (s.tenant as Record<string, unknown>).dispalyName = 'x';
    });
    expect(() => loadSeed(typo)).toThrow(/tenant/);
    const dangling = writeSeed((s) => {
      (s.roleAssignments as Array<Record<string, unknown>>)[0]!.principal = 'user:nobody';
    });
    expect(() => loadSeed(dangling)).toThrow(/unknown principal user:nobody/);
    expect(() => loadSeed('/nonexistent/seed.json')).toThrow(/cannot read JSON/);
  });

  it('has no Conditional Access policy by default and checks the users a seeded one names', () => {
    const seed = loadSeed();
    expect(seed.conditionalAccessPolicies).toEqual([]);
    // A new user has no MFA method; the seeded administrators have registered one.
    expect(seed.users.filter((u) => u.mfaRegistered).map((u) => u.key)).toEqual(['admin', 'admin2']);
    const policy = (includeUsers: string[]) => ({
      id: '0b9e8a52-3c1d-4f6e-9a7b-2d4c6e8f0a13',
      displayName: 'Require MFA for Azure management',
      conditions: { users: { includeUsers }, applications: { includeApplications: ['797f4846-ba00-4fd7-ba43-dac1f8f63013'] } },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
    });
    const ok = loadSeed(writeSeed((s) => void (s.conditionalAccessPolicies = [policy([seed.users[0]!.oid]), { ...policy(['All']), id: '5f0c2b7e-8d9a-4e1b-a6c3-7e2d9f4b1a08' }])));
    expect(ok.conditionalAccessPolicies.map((p) => [p.state, p.satisfiedBySignIn])).toEqual([['enabled', true], ['enabled', true]]);
    expect(() => loadSeed(writeSeed((s) => void (s.conditionalAccessPolicies = [policy(['0f6a3cbe-2a54-4c1e-9d8f-0a1b2c3d4e5f'])])))).toThrow(/conditionalAccessPolicies\.0b9e8a52-.*: unknown user 0f6a3cbe-/);
    expect(() => loadSeed(writeSeed((s) => void (s.conditionalAccessPolicies = [{ ...policy(['All']), grantControls: { builtInControls: ['block'] } }])))).toThrow(/conditionalAccessPolicies\.0\.grantControls/);
  });

  it('refuses a role name the catalog does not have', () => {
    const file = writeSeed((s) => {
      (s.roleAssignments as Array<Record<string, unknown>>)[0]!.role = 'Galactic Overlord';
    });
    const seed = loadSeed(file);
    expect(() => new ArmState(seed, new Directory(seed, { origin: 'https://localhost:1', certificates: new Map() }))).toThrow(/Galactic Overlord/);
  });
});
