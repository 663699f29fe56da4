import { describe, expect, it } from 'vitest';
import type { AppAction, AppSubject } from '../../src/access/app-permissions.ts';
import type { Agent } from '../../src/agents/agent-types.ts';
import type { DriftStatus, DriftStatusSource } from '../../src/levels/drift-status.ts';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import { homeDashboard } from '../../src/service/home-dashboard.ts';

const NOW = new Date('2026-12-04T12:00:00Z');
const SUB = '/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d/resourceGroups/rg-sre-apps';

const agent: Agent = {
  id: 'a1',
  name: 'sre-agent',
  uamiClientId: 'c',
  uamiPrincipalId: 'p',
  tenantId: 't',
  level: 'Reader',
  runModeCeiling: 'Review',
  resourceGroupIds: [SUB],
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
};

function request(id: string, state: OperationRequest['state']): OperationRequest {
  return {
    id,
    agentId: 'a1',
    idempotencyKey: id,
    state,
    version: 1,
    operation: { method: 'POST', path: `${SUB}/providers/Microsoft.App/containerApps/ca/revisions/ca--v1/restart`, apiVersion: '2024-03-01' },
    operationHash: 'h'.repeat(64),
    trigger: { kind: 'incident' },
    decision: { outcome: 'pending_elevation' } as OperationRequest['decision'],
    createdAt: '2026-12-04T11:50:00.000Z',
    updatedAt: '2026-12-04T11:55:00.000Z',
    expiresAt: '2026-12-04T12:42:00.000Z',
  } as OperationRequest;
}

const ROLES: Record<string, Partial<Record<AppSubject, AppAction[]>>> = {
  administrator: { Request: ['read'], Approval: ['read', 'approve', 'deny'], Agent: ['manage', 'read'], AuditLog: ['read'] },
  standard: { Request: ['read'], Approval: ['read'], Agent: ['read'] },
  auditor: { Request: ['read'], Approval: ['read'], Agent: ['read'], AuditLog: ['read'] },
  norole: {},
};

const viewer = (role: keyof typeof ROLES | undefined) => ({
  signedIn: role !== undefined,
  can: (action: AppAction, subject: AppSubject) => (role ? (ROLES[role]![subject] ?? []).includes(action) : false),
});

function build(drift?: Partial<DriftStatusSource>) {
  let planned = 0;
  const source: DriftStatusSource = {
    get: async () => {
      planned++;
      return { state: 'drift', driftCount: 1, pendingChanges: 0, effectiveLevel: 'Privileged', checkedAt: NOW.toISOString() } satisfies DriftStatus;
    },
    peek: () => undefined,
    ...drift,
  };
  const load = homeDashboard({
    pending: { countPending: async () => 3, listPending: async () => [{ request: request('r1', 'pending_elevation'), agent }] },
    recentDecisions: { list: async () => [request('r0', 'denied')] },
    agents: { list: async () => [agent] },
    drift: source,
    signInPath: '/auth/signin',
    clock: () => NOW,
    driftWaitMs: 50,
  });
  return { load, planned: () => planned };
}

describe('the start page dashboard', () => {
  it('signed out: only the sign-in call to action, nothing read from the stores', async () => {
    const { load, planned } = build();
    const model = await load(viewer(undefined));
    expect(model.signInHref).toBe('/auth/signin');
    expect(model.pending).toBeUndefined();
    expect(model.decisions).toBeUndefined();
    expect(model.agents).toBeUndefined();
    expect(planned()).toBe(0);
  });

  it('the administrator: pending with a decide call to action, recent decisions, agents with drift, the audit link', async () => {
    const model = await build().load(viewer('administrator'));
    expect(model.signInHref).toBeUndefined();
    expect(model.pending).toMatchObject({ count: 3, canDecide: true });
    expect(model.pending!.items[0]).toMatchObject({ href: '/approvals/r1', method: 'POST', pathShort: 'rg-sre-apps/…/revisions/ca--v1/restart', agentName: 'sre-agent', kind: 'elevation', timeLeft: '42 min left' });
    expect(model.decisions![0]).toMatchObject({ state: 'denied', stateLabel: 'Denied', tone: 'error', at: '2026-12-04T11:55:00.000Z' });
    expect(model.agents![0]).toMatchObject({ name: 'sre-agent', level: 'Reader', drift: { state: 'drift', label: 'Drift', tone: 'error', detail: '1 assignment beyond its level: effectively Privileged' } });
    expect(model.links!.map((l) => l.href)).toContain('/audit/overview');
  });

  it('a Standard User sees pending without the decide action and no audit link; a user without a role sees neither', async () => {
    const standard = await build().load(viewer('standard'));
    expect(standard.pending!.canDecide).toBe(false);
    expect(standard.agents).toHaveLength(1);
    expect(standard.links!.map((l) => l.href)).not.toContain('/audit/overview');
    const auditor = await build().load(viewer('auditor'));
    expect(auditor.links!.map((l) => l.href)).toContain('/audit/overview');
    const norole = await build().load(viewer('norole'));
    expect(norole.pending).toBeUndefined();
    expect(norole.agents).toBeUndefined();
    expect(norole.decisions).toBeUndefined();
  });

  it('does not wait long for a slow plan: the agent shows "checking" this time', async () => {
    const { load } = build({ get: () => new Promise<DriftStatus>(() => undefined) });
    const model = await load(viewer('administrator'));
    expect(model.agents![0]!.drift).toMatchObject({ state: 'unknown', label: 'Unknown', detail: 'still checking: reload in a moment' });
  });
});
