/**
 * The enforcer's binding of an apply to the plan that was shown (expectedDigest), over a fake ARM
 * (an in-memory list of role assignments) so "nothing changed" is exact.
 */
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agents/agent-types.ts';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import type { AssignmentReader } from '../../src/levels/arm-assignment-reader.ts';
import type { AssignmentWriter } from '../../src/levels/arm-assignment-writer.ts';
import type { InventoryService } from '../../src/levels/inventory-service.ts';
import { createLevelEnforcer } from '../../src/levels/level-enforcer.ts';
import { planDigest } from '../../src/levels/plan-digest.ts';
import type { RoleAssignment } from '../../src/rbac/rbac-types.ts';
import { assignment, catalog, INVENTORY, PRINCIPAL, policies, readerBaseline, RG_APPS, RG_VMS, SUB } from './level-fixtures.ts';

const actor = { kind: 'user' as const, id: 'admin@example.com' };

function fakeWorld(start: { level: Agent['level']; resourceGroupIds: string[]; held: RoleAssignment[] }) {
  const agentRecord: Agent = {
    id: 'agent-1',
    name: 'test-agent',
    uamiClientId: '99999999-9999-4999-8999-999999999999',
    uamiPrincipalId: PRINCIPAL,
    tenantId: '88888888-8888-4888-8888-888888888888',
    level: start.level,
    runModeCeiling: 'Review',
    resourceGroupIds: start.resourceGroupIds,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
  const held = start.held.map((a) => ({ ...a }));
  const writes: string[] = [];
  const forgotten: string[][] = [];
  const rolesChanged: string[] = [];
  const audit: AuditInput[] = [];
  const inventory: InventoryService = {
    async get(ids) {
      return new Map(INVENTORY.filter((i) => ids.includes(i.resourceGroupId)).map((i) => [i.resourceGroupId, i]));
    },
    cached: () => [],
    schedule: () => () => undefined,
  };
  const reader: AssignmentReader = {
    async read() {
      return { assignments: held.map((a) => ({ ...a })), groupIds: [], hierarchy: {}, extraRoles: [] };
    },
  };
  const writer: AssignmentWriter = {
    async create(d, description) {
      writes.push(`create ${d.roleName} @ ${d.scope}`);
      held.push({ id: `${d.scope}/providers/Microsoft.Authorization/roleAssignments/${d.name}`, name: d.name, scope: d.scope, roleDefinitionId: d.roleDefinitionId, principalId: d.principalId, description });
      return 'created';
    },
    async delete(a) {
      writes.push(`delete ${a.id}`);
      const i = held.findIndex((h) => h.id.toLowerCase() === a.id.toLowerCase());
      if (i < 0) return 'absent';
      held.splice(i, 1);
      return 'deleted';
    },
  };
  const enforcer = createLevelEnforcer({
    registry: {
      get: async () => ({ ...agentRecord, resourceGroupIds: [...agentRecord.resourceGroupIds] }),
      list: async () => [agentRecord],
      releasedResourceGroups: async () => [],
      forgetReleasedResourceGroups: async (_id, ids) => void forgotten.push(ids),
    },
    inventory,
    reader,
    writer,
    policies,
    catalog,
    audit: { append: async (input) => void audit.push(input) },
    onRolesChanged: (p) => void rolesChanged.push(p),
  });
  return { enforcer, agentRecord, held, writes, forgotten, rolesChanged, audit };
}

describe('level enforcer: apply bound to the plan shown', () => {
  it('with a stale digest (a hand-made assignment appeared since the plan was shown) applies nothing, even with removeDrift, and says so', async () => {
    const w = fakeWorld({ level: 'Privileged', resourceGroupIds: [RG_APPS], held: readerBaseline() });
    const shown = await w.enforcer.plan('test-agent');
    expect(shown.plan.toCreate.length).toBeGreaterThan(0);
    expect(shown.plan.toDelete.length).toBeGreaterThan(0);
    expect(shown.plan.drift).toEqual([]);
    const shownDigest = planDigest(shown.plan);

    const handMade = assignment('Contributor', `/subscriptions/${SUB}`);
    w.held.push(handMade);
    const before = w.held.map((a) => a.id).sort();

    const run = await w.enforcer.apply('test-agent', { actor, expectedDigest: shownDigest, removeDrift: true });
    expect(run.planChanged).toBe(true);
    expect(run.confirmed).toBe(false);
    expect(run.report).toBeUndefined();
    expect(run.planned.plan.drift.map((f) => f.assignment.id)).toEqual([handMade.id]);
    expect(planDigest(run.planned.plan)).not.toBe(shownDigest);
    expect(w.writes).toEqual([]);
    expect(w.held.map((a) => a.id).sort()).toEqual(before);
    expect(w.rolesChanged).toEqual([]);
    expect(w.forgotten).toEqual([]);
    expect(w.audit).toEqual([
      expect.objectContaining({
        actor,
        eventType: 'level.apply-refused',
        agentId: 'agent-1',
        outcome: 'refused',
        details: expect.objectContaining({ code: 'plan_changed', expectedDigest: shownDigest, currentDigest: planDigest(run.planned.plan), removeDrift: true }),
      }),
    ]);
  });

  it('with a stale digest (the level changed since) applies nothing', async () => {
    const w = fakeWorld({ level: 'Reader', resourceGroupIds: [RG_APPS, RG_VMS], held: readerBaseline() });
    const shownDigest = planDigest((await w.enforcer.plan('test-agent')).plan);
    w.agentRecord.level = 'Privileged';
    const run = await w.enforcer.apply('test-agent', { actor, expectedDigest: shownDigest });
    expect(run.planChanged).toBe(true);
    expect(run.planned.plan.toCreate.length).toBeGreaterThan(0);
    expect(w.writes).toEqual([]);
  });

  it('with the digest of the current plan applies exactly that plan, drift removal included when asked', async () => {
    const w = fakeWorld({ level: 'Privileged', resourceGroupIds: [RG_APPS], held: [...readerBaseline(), assignment('Contributor', `/subscriptions/${SUB}`)] });
    const shown = await w.enforcer.plan('test-agent');
    expect(shown.plan.drift).toHaveLength(1);
    const run = await w.enforcer.apply('test-agent', { actor, expectedDigest: planDigest(shown.plan), removeDrift: true });
    expect(run.planChanged).toBeUndefined();
    expect(run.confirmed).toBe(true);
    expect(run.report).toMatchObject({ ok: true, failed: 0 });
    expect(w.writes).toHaveLength(shown.plan.toCreate.length + shown.plan.toDelete.length + 1);
    expect(w.audit.some((e) => e.eventType === 'level.apply-refused')).toBe(false);
    const after = await w.enforcer.plan('test-agent');
    expect([after.plan.toCreate, after.plan.toDelete, after.plan.drift]).toEqual([[], [], []]);
  });

  it('without a digest (the CLI, which confirms the plan it applies) applies as before', async () => {
    const w = fakeWorld({ level: 'Privileged', resourceGroupIds: [RG_APPS], held: readerBaseline() });
    const run = await w.enforcer.apply('test-agent', { actor });
    expect(run.planChanged).toBeUndefined();
    expect(run.report).toMatchObject({ ok: true });
    expect(w.writes.length).toBeGreaterThan(0);
  });
});
