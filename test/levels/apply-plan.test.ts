import { describe, expect, it } from 'vitest';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import { applyPlan, assignmentDescription } from '../../src/levels/apply-plan.ts';
import type { AssignmentWriter } from '../../src/levels/arm-assignment-writer.ts';
import type { ActualAssignment, DesiredAssignment, Plan } from '../../src/levels/level-types.ts';
import { planAssignments } from '../../src/levels/plan-assignments.ts';
import { agent, assignment, catalog, GROUP, INVENTORY, policies, readerBaseline, RG_APPS, RG_VMS, SUB } from './level-fixtures.ts';

const actor = { kind: 'user' as const, id: 'admin@example.com' };

function privilegedPlanWithDeletes(): Plan {
  return planAssignments({
    agent: agent('Privileged', [RG_APPS]),
    inventory: INVENTORY,
    policies,
    catalog,
    actual: { assignments: readerBaseline(), groupIds: [], hierarchy: {} },
  });
}

function fakeWriter(opts: { failCreate?: (d: DesiredAssignment) => Error | undefined; existing?: Set<string> } = {}) {
  const calls: string[] = [];
  const existing = opts.existing ?? new Set<string>();
  const writer: AssignmentWriter = {
    async create(d, description) {
      calls.push(`create ${d.roleName} @ ${d.scope}`);
      expect(description.startsWith('Managed by Elevate')).toBe(true);
      const err = opts.failCreate?.(d);
      if (err) throw err;
      const key = `${d.roleDefinitionGuid}|${d.scope.toLowerCase()}`;
      if (existing.has(key)) return 'exists';
      existing.add(key);
      return 'created';
    },
    async delete(a: ActualAssignment) {
      calls.push(`delete ${a.id}`);
      return existing.delete(a.id) ? 'deleted' : 'absent';
    },
  };
  return { writer, calls, existing };
}

function fakeAudit(failAt?: number) {
  const entries: AuditInput[] = [];
  return {
    entries,
    audit: {
      async append(input: AuditInput) {
        if (failAt !== undefined && entries.length >= failAt) throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
        entries.push(input);
        return { seq: entries.length };
      },
    },
  };
}

describe('applyPlan', () => {
  it('deletes first, then creates; audits each step before and after acting', async () => {
    const plan = privilegedPlanWithDeletes();
    expect(plan.toDelete.length).toBe(3); // rg-vms's three preconfigured roles
    expect(plan.toCreate.length).toBe(2); // the two Container Apps contributor roles
    const { writer, calls } = fakeWriter();
    const { audit, entries } = fakeAudit();
    const report = await applyPlan(plan, { writer, audit, actor });
    expect(calls.slice(0, 3).every((c) => c.startsWith('delete '))).toBe(true);
    expect(calls.slice(3).every((c) => c.startsWith('create '))).toBe(true);
    expect(entries).toHaveLength(10);
    for (let i = 0; i < entries.length; i += 2) {
      expect(entries[i]!.outcome).toBe('requested');
      expect(entries[i + 1]!.subject).toBe(entries[i]!.subject);
      expect(entries[i + 1]!.eventType).toBe(entries[i]!.eventType);
    }
    expect(entries[0]).toMatchObject({ eventType: 'level.assignment-delete', agentId: 'agent-1', scope: RG_VMS, actor });
    expect(entries.at(-1)).toMatchObject({ eventType: 'level.assignment-create', outcome: 'created', scope: RG_APPS });
    expect(report).toMatchObject({ ok: true, failed: 0, changed: 2 }); // the fake had nothing to delete: "absent"
    expect(report.items.filter((i) => i.status === 'absent')).toHaveLength(3);
  });

  it('makes no ARM call at all when the audit log refuses the first entry', async () => {
    const { writer, calls } = fakeWriter();
    const { audit } = fakeAudit(0);
    const report = await applyPlan(privilegedPlanWithDeletes(), { writer, audit, actor });
    expect(calls).toEqual([]);
    expect(report.ok).toBe(false);
    expect(report.items.every((i) => i.status === 'not-attempted')).toBe(true);
    expect(report.items[0]!.error).toMatch(/^not attempted: the audit log could not record it/);
  });

  it('stops acting from the step whose audit entry failed', async () => {
    const { writer, calls } = fakeWriter();
    const { audit } = fakeAudit(4); // two steps fully recorded, the third's intent fails
    const report = await applyPlan(privilegedPlanWithDeletes(), { writer, audit, actor });
    expect(calls).toHaveLength(2);
    expect(report.items.map((i) => i.status)).toEqual(['absent', 'absent', 'not-attempted', 'not-attempted', 'not-attempted']);
  });

  it('reports a failed assignment and goes on; a second run retries only what is missing', async () => {
    const existing = new Set<string>();
    let fail = true;
    const { writer, calls } = fakeWriter({
      existing,
      failCreate: (d) => (fail && d.roleName === 'Container Apps Contributor' ? Object.assign(new Error('The client does not have authorization'), { code: 'AuthorizationFailed', statusCode: 403 }) : undefined),
    });
    const { audit, entries } = fakeAudit();
    const plan = privilegedPlanWithDeletes();
    const first = await applyPlan(plan, { writer, audit, actor });
    expect(first.ok).toBe(false);
    const bad = first.items.find((i) => i.status === 'failed')!;
    expect(bad.roleName).toBe('Container Apps Contributor');
    expect(bad.error).toBe('AuthorizationFailed (HTTP 403) The client does not have authorization');
    expect(entries.find((e) => e.outcome === 'failed')!.details).toMatchObject({ error: bad.error });
    expect(first.items.filter((i) => i.action === 'create' && i.status === 'created')).toHaveLength(1);

    fail = false;
    calls.length = 0;
    const second = await applyPlan(plan, { writer, audit, actor });
    expect(second.ok).toBe(true);
    const statuses = Object.fromEntries(second.items.filter((i) => i.action === 'create').map((i) => [i.roleName, i.status]));
    expect(statuses).toEqual({ 'Container Apps Contributor': 'created', 'Container Apps ManagedEnvironments Contributor': 'exists' });
  });

  it('removes drift only when asked, and never an assignment made to a group', async () => {
    const direct = assignment('Contributor', `/subscriptions/${SUB}`);
    const viaGroup = assignment('Owner', `/subscriptions/${SUB}`, { principalId: GROUP });
    const plan = planAssignments({
      agent: agent('Reader', [RG_APPS, RG_VMS]),
      inventory: INVENTORY,
      policies,
      catalog,
      actual: { assignments: [...readerBaseline(), direct, viaGroup], groupIds: [GROUP], hierarchy: {} },
    });
    expect(plan.drift).toHaveLength(2);
    const { writer, calls, existing } = fakeWriter();
    existing.add(direct.id);
    const { audit } = fakeAudit();
    const without = await applyPlan(plan, { writer, audit, actor });
    expect(without.items).toEqual([]);
    expect(calls).toEqual([]);

    const withDrift = await applyPlan(plan, { writer, audit, actor, removeDrift: true });
    expect(calls).toEqual([`delete ${direct.id}`]);
    expect(withDrift.items.find((i) => i.assignmentId === direct.id)).toMatchObject({ action: 'remove-drift', status: 'deleted' });
    expect(withDrift.items.find((i) => i.assignmentId === viaGroup.id)).toMatchObject({ action: 'remove-drift', status: 'skipped' });
    expect(withDrift.ok).toBe(true);
  });

  it('describes what it creates with the Elevate marker, the level and the reason', () => {
    const plan = privilegedPlanWithDeletes();
    const text = assignmentDescription(plan, plan.toCreate.find((d) => d.roleName === 'Container Apps Contributor')!);
    expect(text).toBe("Managed by Elevate: Privileged level of agent 'test-agent' (for Microsoft.App/containerApps)");
  });
});
