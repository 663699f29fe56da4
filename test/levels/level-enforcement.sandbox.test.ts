/**
 * Level enforcement end to end against the sandbox's ARM, through the real SDK clients and
 * Elevate's governance credential: register, plan, apply, switch level, remove a group, drift,
 * and the operations permission cache seeing the new roles at once.
 */
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizationClient } from '../../src/azure/arm-clients.ts';
import { assignmentName } from '../../src/levels/assignment-name.ts';
import { createArmPermissionSource } from '../../src/operations/arm-permission-source.ts';
import { createPermissionCache, type PermissionCache } from '../../src/operations/permission-cache.ts';
import { createEvaluator } from '../../src/rbac/rbac-evaluator.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import { armCounts, LV_UAMI, RG_LV_APPS, RG_LV_DATA, RG_LV_VMS, startLevelsSandbox, SUB_PROD, writesSeen, type LevelsSandbox } from './levels-test-sandbox.ts';

const admin = { kind: 'user' as const, id: 'test-admin', name: 'Test Admin' };
const catalog = loadBuiltinCatalog();
let sb: LevelsSandbox;
let permissions: PermissionCache;
const invalidated: string[] = [];

/** What ARM holds for the test UAMI: "role @ scope" strings, and the raw assignments. */
async function held() {
  const client = createAuthorizationClient(sb.governance, SUB_PROD, sb.endpoints);
  const out = [];
  for await (const a of client.roleAssignments.listForSubscription({ filter: `assignedTo('${LV_UAMI.principalId}')` })) out.push(a);
  const names = out.map((a) => `${catalog.byId(a.roleDefinitionId!)?.roleName} @ ${a.scope}`).sort();
  return { names, raw: out };
}

/**
 * The permission source passes role definition ids with their leading '/' to getById, so the
 * SDK asks for `https://host//subscriptions/...`; real ARM tolerates that, the sandbox does not
 * (reported). Collapsing it here keeps this test about what it tests.
 */
function withoutDoubleSlash<T extends { pipeline: { addPolicy(p: PipelinePolicy): void } }>(client: T): T {
  client.pipeline.addPolicy({
    name: 'collapseDoubleSlash',
    sendRequest: (req, next) => {
      req.url = req.url.replace(/^(https:\/\/[^/]+)\/\/+/, '$1/');
      return next(req);
    },
  });
  return client;
}

beforeAll(async () => {
  sb = await startLevelsSandbox({
    onRolesChanged: (p) => {
      invalidated.push(p);
      permissions.invalidate(p);
    },
  });
  permissions = createPermissionCache({
    source: createArmPermissionSource({ clientFor: (sub) => withoutDoubleSlash(createAuthorizationClient(sb.governance, sub, sb.endpoints)), catalogRoles: catalog.roles }),
    makeEvaluator: (state) => createEvaluator(state, { suggestionLimit: 0 }),
    ttlMs: 5 * 60_000,
  });
});

afterAll(async () => {
  await sb?.close();
});

describe('level enforcement against the sandbox', () => {
  it('gives a Reader-level agent on two groups exactly the preconfigured roles plus the reader roles its types need', async () => {
    const agent = await sb.runtime.registry.create(
      { name: 'lv-agent', uamiClientId: LV_UAMI.clientId, uamiPrincipalId: LV_UAMI.principalId, level: 'Reader', resourceGroupIds: [RG_LV_APPS, RG_LV_VMS] },
      admin,
    );
    const planned = await sb.runtime.enforcer.plan(agent.name);
    expect(planned.inventory.find((i) => i.resourceGroupId === RG_LV_APPS)!.resourceTypes).toEqual(['Microsoft.App/containerApps', 'Microsoft.App/managedEnvironments']);
    expect(planned.plan.toDelete).toEqual([]);

    const run = await sb.runtime.enforcer.apply(agent.name, { actor: admin });
    expect(run.report).toMatchObject({ ok: true, changed: 8, failed: 0 });
    const { names, raw } = await held();
    expect(names).toEqual(
      [
        `Key Vault Reader @ ${RG_LV_VMS}`, // the vault's reader role at Reader level
        `Log Analytics Reader @ ${RG_LV_APPS}`,
        `Log Analytics Reader @ ${RG_LV_VMS}`,
        `Monitoring Contributor @ /subscriptions/${SUB_PROD}`,
        `Monitoring Reader @ ${RG_LV_APPS}`,
        `Monitoring Reader @ ${RG_LV_VMS}`,
        `Reader @ ${RG_LV_APPS}`,
        `Reader @ ${RG_LV_VMS}`,
      ].sort(),
    );
    for (const a of raw) {
      expect(a.description).toMatch(/^Managed by Elevate: Reader level of agent 'lv-agent'/);
      expect(a.name).toBe(assignmentName(LV_UAMI.principalId, a.roleDefinitionId!.split('/').pop()!, a.scope!));
    }
    // audit first, then act: every create has its "requested" entry before its outcome
    const entries = (await sb.audit.list({ eventType: 'level.assignment-create' }, { limit: 100 })).entries.reverse();
    expect(entries.map((e) => e.outcome)).toEqual(Array.from({ length: 8 }, () => ['requested', 'created']).flat());
    expect(invalidated).toEqual([LV_UAMI.principalId]);
  });

  it('a second apply is a no-op: no write reaches ARM', async () => {
    const before = writesSeen(sb.handle);
    const run = await sb.runtime.enforcer.apply('lv-agent', { actor: admin });
    expect(run.report).toBeUndefined();
    expect(run.planned.plan.inPlace).toHaveLength(8);
    expect(writesSeen(sb.handle)).toBe(before);
  });

  it('switching to Privileged plans Container Apps Contributor and Virtual Machine Contributor on the right groups, and apply creates them; the operations permission check sees them at once', async () => {
    const restart = 'Microsoft.App/containerApps/revisions/restart/action';
    const target = `${RG_LV_APPS}/providers/Microsoft.App/containerApps/ca-lv-one/revisions/ca-lv-one--r1`;
    expect((await permissions.check(LV_UAMI.principalId, restart, target)).allowed).toBe(false);

    await sb.runtime.registry.setLevel('lv-agent', 'Privileged', admin);
    const { plan } = await sb.runtime.enforcer.plan('lv-agent');
    expect(plan.toCreate.map((d) => `${d.roleName} @ ${d.scope}`).sort()).toEqual(
      [
        `Container Apps Contributor @ ${RG_LV_APPS}`,
        `Container Apps ManagedEnvironments Contributor @ ${RG_LV_APPS}`,
        `Key Vault Contributor @ ${RG_LV_VMS}`,
        `Virtual Machine Contributor @ ${RG_LV_VMS}`,
      ].sort(),
    );
    expect(plan.toDelete).toEqual([]);
    const run = await sb.runtime.enforcer.apply('lv-agent', { actor: admin });
    expect(run.report).toMatchObject({ ok: true, changed: 4 });
    expect((await held()).names).toEqual(expect.arrayContaining([`Container Apps Contributor @ ${RG_LV_APPS}`, `Virtual Machine Contributor @ ${RG_LV_VMS}`]));
    // no restart of anything: the cache entry was invalidated by apply
    const decision = await permissions.check(LV_UAMI.principalId, restart, target);
    expect(decision.allowed).toBe(true);
    expect(decision.grantedBy.map((g) => g.roleName)).toContain('Container Apps Contributor');
  });

  it('switching back to Reader removes them, whole assignments only', async () => {
    await sb.runtime.registry.setLevel('lv-agent', 'Reader', admin);
    const run = await sb.runtime.enforcer.apply('lv-agent', { actor: admin });
    expect(run.report!.items.map((i) => `${i.action} ${i.roleName} ${i.status}`).sort()).toEqual(
      [
        'delete Container Apps Contributor deleted',
        'delete Container Apps ManagedEnvironments Contributor deleted',
        'delete Key Vault Contributor deleted',
        'delete Virtual Machine Contributor deleted',
      ].sort(),
    );
    expect((await held()).names).toHaveLength(8);
    expect((await permissions.check(LV_UAMI.principalId, 'Microsoft.App/containerApps/write', `${RG_LV_APPS}/providers/Microsoft.App/containerApps/ca-lv-one`)).allowed).toBe(false);
  });

  it('reports Contributor added by hand at the subscription as drift with the write actions it adds, and leaves it alone unless asked', async () => {
    const contributor = catalog.byName('Contributor')!;
    const client = createAuthorizationClient(sb.governance, SUB_PROD, sb.endpoints);
    const handMade = await client.roleAssignments.create(`subscriptions/${SUB_PROD}`, '0b5c7d2e-3f41-4a6b-8c9d-0e1f2a3b4c5d', {
      roleDefinitionId: `/subscriptions/${SUB_PROD}/providers/Microsoft.Authorization/roleDefinitions/${contributor.name}`,
      principalId: LV_UAMI.principalId,
      principalType: 'ServicePrincipal',
      description: 'break-glass, added by hand',
    });
    try {
      const { plan } = await sb.runtime.enforcer.plan('lv-agent');
      expect(plan.toCreate).toEqual([]);
      expect(plan.toDelete).toEqual([]);
      expect(plan.drift).toHaveLength(1);
      const f = plan.drift[0]!;
      expect(f.roleName).toBe('Contributor');
      expect(f.assignment.id).toBe(handMade.id);
      expect(f.assignment.scope).toBe(`/subscriptions/${SUB_PROD}`);
      expect(f.added.byKind.write).toBeGreaterThan(0);
      expect(f.added.operations.map((o) => o.toLowerCase())).toEqual(expect.arrayContaining(['microsoft.app/containerapps/write', 'microsoft.compute/virtualmachines/write', 'microsoft.keyvault/vaults/write']));
      expect(plan.effectiveLevel.exceeds).toBe(true);
      expect(plan.effectiveLevel.message).toContain("Reader-level agent 'lv-agent' is effectively Privileged");
      expect(plan.effectiveLevel.message).toContain(`Contributor at /subscriptions/${SUB_PROD}`);

      const writes = writesSeen(sb.handle);
      const plain = await sb.runtime.enforcer.apply('lv-agent', { actor: admin });
      expect(plain.report).toBeUndefined();
      expect(writesSeen(sb.handle)).toBe(writes);

      const removing = await sb.runtime.enforcer.apply('lv-agent', { actor: admin, removeDrift: true });
      expect(removing.report!.items).toEqual([expect.objectContaining({ action: 'remove-drift', roleName: 'Contributor', status: 'deleted' })]);
      expect((await held()).names).not.toContain(`Contributor @ /subscriptions/${SUB_PROD}`);
    } finally {
      await client.roleAssignments.deleteById(handMade.id!.slice(1)).catch(() => undefined);
    }
  });

  it('removing a group deletes every Elevate-made assignment there and keeps the subscription role', async () => {
    await sb.runtime.registry.setLevel('lv-agent', 'Privileged', admin);
    await sb.runtime.enforcer.apply('lv-agent', { actor: admin });
    await sb.runtime.registry.removeResourceGroup('lv-agent', RG_LV_VMS, admin);
    const run = await sb.runtime.enforcer.apply('lv-agent', { actor: admin });
    expect(run.report!.items.every((i) => i.action === 'delete' && i.scope === RG_LV_VMS && i.status === 'deleted')).toBe(true);
    expect(run.report!.items.map((i) => i.roleName).sort()).toEqual(
      ['Key Vault Contributor', 'Key Vault Reader', 'Log Analytics Reader', 'Monitoring Reader', 'Reader', 'Virtual Machine Contributor'].sort(),
    );
    const { names } = await held();
    expect(names.filter((n) => n.endsWith(RG_LV_VMS))).toEqual([]);
    expect(names).toContain(`Monitoring Contributor @ /subscriptions/${SUB_PROD}`);
    expect(await sb.runtime.registry.releasedResourceGroups((await sb.runtime.registry.get('lv-agent')).id)).toEqual([]);
  });

  it('cleans up a group released from the last group of its subscription, and holds nothing with no group', async () => {
    await sb.runtime.registry.addResourceGroup('lv-agent', RG_LV_DATA, admin);
    await sb.runtime.enforcer.apply('lv-agent', { actor: admin });
    await sb.runtime.registry.removeResourceGroup('lv-agent', RG_LV_DATA, admin);
    await sb.runtime.registry.removeResourceGroup('lv-agent', RG_LV_APPS, admin);
    const run = await sb.runtime.enforcer.apply('lv-agent', { actor: admin });
    expect(run.report!.ok).toBe(true);
    expect((await held()).names).toEqual([]);
    const data = createAuthorizationClient(sb.governance, RG_LV_DATA.split('/')[2]!, sb.endpoints);
    const left = [];
    for await (const a of data.roleAssignments.listForSubscription({ filter: `assignedTo('${LV_UAMI.principalId}')` })) left.push(a);
    expect(left).toEqual([]);
    expect(armCounts(sb.handle)['roleAssignments.create']).toBeGreaterThan(0);
  });
});
