/**
 * `doctor` and sandbox seeding against the shared sandbox. Read-only: the seeded agent's roles
 * are never changed here (other test files rely on them).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { seedSandboxAgent } from '../../src/agents/seed-sandbox-agent.ts';
import { resolveAzureEndpoints } from '../../src/azure/azure-endpoints.ts';
import { createServiceCredential } from '../../src/azure/service-credential.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createLevelsRuntime, type LevelsRuntime } from '../../src/levels/levels-runtime.ts';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestStore } from '../support/test-store.ts';
import { sandboxInfo } from '../support/sandbox-context.ts';

const catalog = loadBuiltinCatalog();
const policies = loadPolicies('policies', { hasRole: (n) => catalog.byName(n) !== undefined });
let db: Database;

async function runtimeWith(secret: string): Promise<LevelsRuntime> {
  const info = sandboxInfo();
  const endpoints = resolveAzureEndpoints(parseConfig({}), info);
  return createLevelsRuntime({
    mode: 'sandbox',
    store: db,
    audit: createAuditLog(db),
    endpoints,
    governanceCredential: createServiceCredential(endpoints, { kind: 'secret', clientSecret: secret }),
    governance: { kind: 'secret', clientId: endpoints.clientId },
    policies,
    roleCatalog: catalog,
    inventoryRefreshSeconds: 900,
  });
}

beforeAll(async () => {
  db = await openTestStore(join(mkdtempSync(join(tmpdir(), 'elevate-doctor-')), 'e.db'));
});

afterAll(async () => {
  await db?.close();
});

describe('sandbox seeding', () => {
  it('registers the seeded agent once, Reader level, with its two groups, audited as the system', async () => {
    const runtime = await runtimeWith(sandboxInfo().tenant.elevateApp.clientSecret);
    const tenant = sandboxInfo().tenant;
    const first = await seedSandboxAgent(runtime.registry, tenant);
    expect(first.created).toBe(true);
    expect(first.agent).toMatchObject({ name: 'sre-agent', level: 'Reader', runModeCeiling: 'Review', uamiPrincipalId: tenant.agent.uamiPrincipalId });
    expect(first.agent.resourceGroupIds.map((r) => r.toLowerCase()).sort()).toEqual(tenant.agent.resourceGroupIds.map((r) => r.toLowerCase()).sort());
    await runtime.registry.setRunModeCeiling('sre-agent', 'ReadOnly', { kind: 'user', id: 'admin' });
    const second = await seedSandboxAgent(runtime.registry, tenant);
    expect(second.created).toBe(false);
    expect(second.agent.runModeCeiling).toBe('ReadOnly'); // the administrator's change stands
    const created = (await createAuditLog(db).list({ eventType: 'agent.created' })).entries;
    expect(created).toHaveLength(1);
    expect(created[0]!.actor).toMatchObject({ kind: 'system', id: 'elevate' });
  });
});

describe('doctor', () => {
  it('finds nothing wrong with the seeded agent: token, subscriptions, roles, metrics and logs, Elevate\'s own rights', async () => {
    const runtime = await runtimeWith(sandboxInfo().tenant.elevateApp.clientSecret);
    const report = await runtime.doctor('sre-agent');
    const failing = report.findings.filter((f) => f.status === 'fail');
    expect(failing).toEqual([]);
    expect(report.ok).toBe(true);
    const checks = new Set(report.findings.map((f) => f.check));
    for (const c of ['managed-identity', 'subscriptions', 'roles', 'monitoring', 'governance-credential', 'governance-permissions', 'secret-expiry']) expect(checks).toContain(c);
    expect(report.facts.uamiSubscriptions).toEqual({ ok: true, value: expect.arrayContaining([sandboxInfo().tenant.agent.subscriptionId]) });
    expect(report.facts.governance.canAssignRoles.every((c) => c.result.ok && c.result.value)).toBe(true);
    expect(report.findings.find((f) => f.check === 'secret-expiry')).toMatchObject({ status: 'unknown', summary: expect.stringContaining('not knowable') });
    // the seed admin-consents both Graph application permissions Elevate uses (read from the roles of its own Graph token)
    expect(report.facts.governance.graphPermissions).toEqual({ ok: true, value: expect.arrayContaining(['GroupMember.Read.All', 'User.Read.All']) });
    expect(report.findings.filter((f) => f.check === 'graph-permissions').map((f) => f.status)).toEqual(['ok', 'ok']);
    // nothing in the facts is a token
    expect(JSON.stringify(report)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it('explains a UAMI the managed identity endpoint does not know, and a wrong client secret in Entra\'s words', async () => {
    const runtime = await runtimeWith('not-the-secret');
    const tenant = sandboxInfo().tenant;
    const web = tenant.resourceGroups.find((g) => g.name === 'rg-web')!;
    // registering needs ARM reads with a working credential
    const good = await runtimeWith(tenant.elevateApp.clientSecret);
    await good.registry.create(
      { name: 'ghost-agent', uamiClientId: '0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e', uamiPrincipalId: '5f5f5f5f-6a6a-4b7b-8c8c-9d9d9d9d9d9d', level: 'Reader', resourceGroupIds: [web.id] },
      { kind: 'user', id: 'admin' },
    );
    const report = await good.doctor('ghost-agent');
    expect(report.ok).toBe(false);
    const mi = report.findings.find((f) => f.check === 'managed-identity')!;
    expect(mi.status).toBe('fail');
    expect(mi.azureError).toBeTruthy();
    expect(mi.cause).toMatch(/0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e/);
    expect(report.findings.find((f) => f.check === 'roles' && f.status === 'fail')!.summary).toMatch(/rg-web: missing Log Analytics Reader, Monitoring Reader, Reader for the Reader level/);

    // with a wrong secret Elevate cannot plan: the report says so in Entra's words, and guesses nothing
    const bad = await runtime.doctor('ghost-agent');
    expect(bad.ok).toBe(false);
    const gov = bad.findings.find((f) => f.check === 'governance-credential')!;
    expect(gov.status).toBe('fail');
    expect(gov.azureError).toMatch(/AADSTS7000215/);
    expect(gov.cause).toMatch(/^AADSTS7000215: invalid client secret/);
    expect(gov.fix).toMatch(/AZURE_CLIENT_SECRET/);
    expect(bad.findings.find((f) => f.check === 'plan')).toMatchObject({ status: 'fail' });
    expect(bad.findings.filter((f) => f.check === 'roles').every((f) => f.status === 'unknown')).toBe(true);
  });
});
