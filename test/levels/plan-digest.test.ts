import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/levels/level-types.ts';
import { planAssignments } from '../../src/levels/plan-assignments.ts';
import { isPlanDigest, planDigest } from '../../src/levels/plan-digest.ts';
import { agent, assignment, catalog, GROUP, INVENTORY, policies, readerBaseline, RG_APPS, SUB } from './level-fixtures.ts';

const contributor = assignment('Contributor', `/subscriptions/${SUB}`);
const viaGroup = assignment('Contributor', `/subscriptions/${SUB}`, { principalId: GROUP });
// Read once: the fixture names each assignment it makes anew.
const held = [...readerBaseline(), contributor, viaGroup];

/** Creates (Container Apps roles), deletes (rg-vms's Elevate roles) and two drift findings, one through a group. */
function fullPlan(): Plan {
  return planAssignments({
    agent: agent('Privileged', [RG_APPS]),
    inventory: INVENTORY,
    policies,
    catalog,
    actual: { assignments: held.map((a) => ({ ...a })), groupIds: [GROUP], hierarchy: {} },
  });
}

const base = fullPlan();
const baseDigest = planDigest(base);
const edit = (fn: (p: Plan) => void): string => {
  const p = structuredClone(base);
  fn(p);
  return planDigest(p);
};

describe('planDigest', () => {
  it('covers a plan with creates, deletes and drift (the fixture is what it says)', () => {
    expect(base.toCreate.length).toBeGreaterThan(1);
    expect(base.toDelete.length).toBeGreaterThan(1);
    expect(base.drift.length).toBe(2);
    expect(base.drift.some((f) => f.viaGroupId)).toBe(true);
  });

  it('is 64 lower-case hex characters, and the same for the same plan computed twice', () => {
    expect(baseDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(isPlanDigest(baseDigest)).toBe(true);
    expect(planDigest(fullPlan())).toBe(baseDigest);
  });

  it('does not change when the creates, deletes or drift findings are listed in another order', () => {
    expect(
      edit((p) => {
        p.toCreate.reverse();
        p.toDelete.reverse();
        p.drift.reverse();
      }),
    ).toBe(baseDigest);
  });

  it('does not change with how ARM spells ids and scopes (case, trailing slash), nor with explanations', () => {
    expect(
      edit((p) => {
        const a = p.toDelete[0]!.assignment;
        a.id = a.id.toUpperCase();
        a.scope = `${a.scope.toUpperCase()}/`;
        a.roleDefinitionId = a.roleDefinitionId.toUpperCase();
        p.drift[0]!.assignment.principalId = p.drift[0]!.assignment.principalId.toUpperCase();
        p.toCreate[0]!.scope = p.toCreate[0]!.scope.toLowerCase();
        p.toDelete[0]!.reason = 'reworded';
        p.drift[0]!.message = 'reworded';
        p.drift[0]!.added.operations = [];
        p.notes.push({ scope: RG_APPS, message: 'a new note' });
        p.effectiveLevel.message = 'reworded';
      }),
    ).toBe(baseDigest);
  });

  it('changes when any create differs, is added or is removed', () => {
    const digests = [
      edit((p) => void p.toCreate.pop()),
      edit((p) => void p.toCreate.push({ ...p.toCreate[0]!, scope: `/subscriptions/${SUB}/resourceGroups/rg-elsewhere` })),
      edit((p) => void (p.toCreate[0]!.roleDefinitionId = p.toCreate[1]!.roleDefinitionId)),
      edit((p) => void (p.toCreate[0]!.scope = `/subscriptions/${SUB}/resourceGroups/rg-elsewhere`)),
      edit((p) => void (p.toCreate[0]!.principalId = GROUP)),
      // the description written to ARM names the resource types the role is for
      edit((p) => void (p.toCreate[0]!.reason = { kind: 'resource-type', resourceTypes: ['Microsoft.Web/sites'] })),
    ];
    for (const d of digests) expect(d).not.toBe(baseDigest);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('changes when any delete differs, is added or is removed', () => {
    const digests = [
      edit((p) => void p.toDelete.pop()),
      edit((p) => void p.toDelete.push({ ...p.toDelete[0]!, assignment: { ...p.toDelete[0]!.assignment, id: `${RG_APPS}/providers/Microsoft.Authorization/roleAssignments/extra` } })),
      edit((p) => void (p.toDelete[0]!.assignment.id = `${p.toDelete[0]!.assignment.id}0`)),
      edit((p) => void (p.toDelete[0]!.assignment.scope = RG_APPS)),
    ];
    for (const d of digests) expect(d).not.toBe(baseDigest);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('changes when a drift finding differs, appears or goes, or stops being through a group', () => {
    const direct = base.drift.findIndex((f) => !f.viaGroupId);
    const grouped = base.drift.findIndex((f) => f.viaGroupId);
    const digests = [
      edit((p) => void p.drift.splice(direct, 1)),
      edit((p) => void p.drift.push({ ...p.drift[direct]!, assignment: { ...p.drift[direct]!.assignment, id: `${RG_APPS}/providers/Microsoft.Authorization/roleAssignments/hand-made` } })),
      edit((p) => void (p.drift[direct]!.assignment.id = `${p.drift[direct]!.assignment.id}0`)),
      edit((p) => void (p.drift[direct]!.assignment.roleDefinitionId = base.toCreate[0]!.roleDefinitionId)),
      edit((p) => void delete p.drift[grouped]!.viaGroupId),
    ];
    for (const d of digests) expect(d).not.toBe(baseDigest);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('changes with the agent or its level', () => {
    expect(edit((p) => void (p.agent.level = 'Reader'))).not.toBe(baseDigest);
    expect(edit((p) => void (p.agent.id = 'agent-2'))).not.toBe(baseDigest);
  });
});

describe('isPlanDigest', () => {
  it('accepts only 64 lower-case hex characters', () => {
    expect(isPlanDigest('a'.repeat(64))).toBe(true);
    expect(isPlanDigest('A'.repeat(64))).toBe(false);
    expect(isPlanDigest('a'.repeat(63))).toBe(false);
    expect(isPlanDigest('a'.repeat(65))).toBe(false);
    expect(isPlanDigest(`${'a'.repeat(63)}g`)).toBe(false);
    expect(isPlanDigest('')).toBe(false);
  });
});
