/**
 * The cost of enforcement at scale (ARM calls counted by the sandbox) and bad input: each refused
 * with a clear error, and nothing written to ARM.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentInputError, AgentNotFoundError } from '../../src/agents/agent-types.ts';
import { DesiredRoleError } from '../../src/levels/desired-assignments.ts';
import { createLevelsRuntime } from '../../src/levels/levels-runtime.ts';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import type { Policies } from '../../src/policies/policies.ts';
import { PolicyError } from '../../src/policies/policy-error.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import { armCounts, LV_UAMI, RG_LV_APPS, SCALE_GROUPS, scaleGroupId, startLevelsSandbox, SUB_PROD, writesSeen, type LevelsSandbox } from './levels-test-sandbox.ts';

const admin = { kind: 'user' as const, id: 'test-admin' };
const LIST_KIND = 'resources.listByResourceGroup';
let sb: LevelsSandbox;

beforeAll(async () => {
  sb = await startLevelsSandbox();
});

afterAll(async () => {
  await sb?.close();
});

function delta(before: Record<string, number>, after: Record<string, number>, kind: string): number {
  return (after[kind] ?? 0) - (before[kind] ?? 0);
}

describe(`${SCALE_GROUPS} resource groups with 20 resources each`, () => {
  it('plan and apply list each group once per inventory pass; an apply with nothing to change writes nothing', async () => {
    const groups = Array.from({ length: SCALE_GROUPS }, (_, i) => scaleGroupId(i));
    await sb.runtime.registry.create({ name: 'lv-scale', uamiClientId: LV_UAMI.clientId, uamiPrincipalId: LV_UAMI.principalId, level: 'Reader', resourceGroupIds: groups }, admin);

    let before = armCounts(sb.handle);
    const planned = await sb.runtime.enforcer.plan('lv-scale', { refreshInventory: true });
    expect(planned.inventory).toHaveLength(SCALE_GROUPS);
    expect(planned.inventory.every((i) => i.resourceCount === 20 && !i.error)).toBe(true);
    expect(delta(before, armCounts(sb.handle), LIST_KIND)).toBe(SCALE_GROUPS);
    expect(planned.plan.toCreate).toHaveLength(SCALE_GROUPS * 3 + 1);

    before = armCounts(sb.handle);
    const first = await sb.runtime.enforcer.apply('lv-scale', { actor: admin, refreshInventory: true });
    expect(first.report).toMatchObject({ ok: true, changed: SCALE_GROUPS * 3 + 1 });
    let after = armCounts(sb.handle);
    expect(delta(before, after, LIST_KIND)).toBe(SCALE_GROUPS);
    expect(delta(before, after, 'roleAssignments.create')).toBe(SCALE_GROUPS * 3 + 1);

    before = after;
    const second = await sb.runtime.enforcer.apply('lv-scale', { actor: admin, refreshInventory: true });
    expect(second.report).toBeUndefined();
    after = armCounts(sb.handle);
    expect(delta(before, after, LIST_KIND)).toBe(SCALE_GROUPS);
    expect(delta(before, after, 'roleAssignments.create') + delta(before, after, 'roleAssignments.delete')).toBe(0);

    // with the inventory cached, a no-change apply reads role assignments only: no list of any group, no write
    before = after;
    const third = await sb.runtime.enforcer.apply('lv-scale', { actor: admin });
    expect(third.report).toBeUndefined();
    after = armCounts(sb.handle);
    expect(delta(before, after, LIST_KIND)).toBe(0);
    expect(delta(before, after, 'roleAssignments.create') + delta(before, after, 'roleAssignments.delete')).toBe(0);

    // clean up: no group, nothing held
    for (const g of groups) await sb.runtime.registry.removeResourceGroup('lv-scale', g, admin);
    const cleanup = await sb.runtime.enforcer.apply('lv-scale', { actor: admin });
    expect(cleanup.report).toMatchObject({ ok: true, changed: SCALE_GROUPS * 3 + 1 });
  }, 180_000);
});

describe('bad input: clear errors, nothing written to ARM', () => {
  let writes = 0;
  let activity = 0;
  beforeAll(async () => {
    await sb.runtime.registry.create({ name: 'lv-bad', uamiClientId: '6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', uamiPrincipalId: '1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b', level: 'Reader' }, admin);
  });
  const expectNothingWritten = () => {
    expect(writesSeen(sb.handle)).toBe(writes);
    expect(sb.handle.activityLog().length).toBe(activity);
  };
  beforeAll(() => {
    writes = writesSeen(sb.handle);
    activity = sb.handle.activityLog().length;
  });

  it('an unknown agent', async () => {
    await expect(sb.runtime.enforcer.apply('no-such-agent', { actor: admin })).rejects.toThrow(AgentNotFoundError);
    await expect(sb.runtime.enforcer.plan('no-such-agent')).rejects.toThrow('unknown agent "no-such-agent"');
    await expect(sb.runtime.doctor('no-such-agent')).rejects.toThrow(AgentNotFoundError);
    expectNothingWritten();
  });

  it('a resource group from another tenant, a malformed one, one that does not exist', async () => {
    const foreign = '/subscriptions/0b0b0b0b-1c1c-4d2d-8e3e-4f4f4f4f4f4f/resourceGroups/rg-elsewhere';
    await expect(sb.runtime.registry.addResourceGroup('lv-bad', foreign, admin)).rejects.toThrow(
      /subscription 0b0b0b0b-1c1c-4d2d-8e3e-4f4f4f4f4f4f is not visible to Elevate in tenant 26d07dfe-13eb-44c6-bbdf-5d359fd60c0c/,
    );
    await expect(sb.runtime.registry.addResourceGroup('lv-bad', `/subscriptions/${SUB_PROD}/resourceGroups/rg-nope`, admin)).rejects.toThrow(/rg-nope does not exist/);
    for (const bad of [`/subscriptions/${SUB_PROD}/resourceGroups/`, `/subscriptions/${SUB_PROD}/resourceGroups/a/b`, 'rg-lv-apps', `${RG_LV_APPS}/../rg-sre-apps`, `/subscriptions/${SUB_PROD}/resourceGroups/rg?x=1`]) {
      await expect(sb.runtime.registry.addResourceGroup('lv-bad', bad, admin)).rejects.toBeInstanceOf(AgentInputError);
    }
    expect((await sb.runtime.registry.get('lv-bad')).resourceGroupIds).toEqual([]);
    expectNothingWritten();
  });

  it('a level name not in the policy', async () => {
    for (const level of ['Admin', 'reader', 'Owner', '']) {
      await expect(sb.runtime.registry.setLevel('lv-bad', level, admin)).rejects.toThrow(/not a level in the policy; expected Reader or Privileged/);
    }
    expectNothingWritten();
  });

  it('a policy file that maps a type to a role not in the catalog', async () => {
    const catalog = loadBuiltinCatalog();
    const dir = mkdtempSync(join(tmpdir(), 'elevate-bad-policies-'));
    cpSync('policies', dir, { recursive: true });
    const levels = join(dir, 'levels.yaml');
    writeFileSync(levels, readFileSync(levels, 'utf8').replace('Privileged: [Container Apps Contributor]', 'Privileged: [Container Apps Wizard]'));
    expect(() => loadPolicies(dir, { hasRole: (n) => catalog.byName(n) !== undefined })).toThrow(PolicyError);
    expect(() => loadPolicies(dir, { hasRole: (n) => catalog.byName(n) !== undefined })).toThrow(/levels\.yaml.*role 'Container Apps Wizard' is not in the role catalog/);

    // and if such a policy reached the planner anyway, it refuses before any write
    const broken: Pick<Policies, 'levels'> = {
      levels: {
        ...sb.policies.levels,
        resourceTypes: sb.policies.levels.resourceTypes.map((t) =>
          t.resourceType === 'Microsoft.App/containerApps' ? { ...t, roles: { ...t.roles, Privileged: ['Container Apps Wizard'] } } : t,
        ),
      },
    };
    const runtime = createLevelsRuntime({
      mode: 'sandbox',
      store: sb.db,
      audit: sb.audit,
      endpoints: sb.endpoints,
      governanceCredential: sb.governance,
      governance: { kind: 'secret', clientId: sb.endpoints.clientId },
      policies: broken,
      roleCatalog: catalog,
      inventoryRefreshSeconds: 900,
    });
    await runtime.registry.addResourceGroup('lv-bad', RG_LV_APPS, admin);
    await runtime.registry.setLevel('lv-bad', 'Privileged', admin);
    await expect(runtime.enforcer.apply('lv-bad', { actor: admin })).rejects.toThrow(DesiredRoleError);
    await expect(runtime.enforcer.apply('lv-bad', { actor: admin })).rejects.toThrow("policy names role 'Container Apps Wizard', which is not in the role catalog");
    expectNothingWritten();
  });
});
