/**
 * The raise use cases over a real SQLite store and audit log, with Azure replaced by an in-memory
 * gateway (the sandbox tests cover the real one): pending raises expiring, two approvers, the
 * requester named by UPN, a grant Azure refuses (removed again), a grant interrupted by an outage
 * and resumed by the sweeper, and "no audit entry, no action".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/agents/agent-types.ts';
import type { RequesterIdentity } from '../../src/directory/requester-identity.ts';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import type { ResourceGroupInventory } from '../../src/levels/level-types.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import { GrantRefusedError, type RaiseGrantGateway } from '../../src/raises/arm-raise-grants.ts';
import { createRaiseService, type RaiseService } from '../../src/raises/raise-service.ts';
import { createRaiseStore } from '../../src/raises/raise-store.ts';
import { RaiseConflictError, RaiseInputError, RaiseNotFoundError, type RaiseGrant } from '../../src/raises/raise-types.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import type { Database } from '../../src/store/database.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { openTestStore } from '../support/test-store.ts';
import { testClock } from './support/raise-steps.ts';

const catalog = loadBuiltinCatalog();
const shipped = loadPolicies('policies', { hasRole: (n) => catalog.byName(n) !== undefined });
const RG = '/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d/resourceGroups/rg-sre-apps';
const agent: Agent = {
  id: 'agent-1',
  name: 'sre-agent',
  uamiClientId: 'e1f0d68b-bc88-458f-a988-262125f523c6',
  uamiPrincipalId: '26abe3bd-e958-413c-a6e7-68c668828c1f',
  tenantId: 't',
  level: 'Reader',
  runModeCeiling: 'Review',
  resourceGroupIds: [RG],
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};
const inventory = new Map<string, ResourceGroupInventory>([[RG, { resourceGroupId: RG, resourceTypes: ['Microsoft.App/containerApps', 'Microsoft.App/managedEnvironments'], resourceCount: 2, fetchedAt: '2026-01-01T00:00:00Z' }]]);

/** Azure in memory: assignments by (role, scope); failures switched on per test. */
function memoryAzure() {
  const held = new Map<string, string>();
  const key = (g: Pick<RaiseGrant, 'roleGuid' | 'scope'>) => `${g.roleGuid}|${g.scope.toLowerCase()}`;
  const state = { refuseGrantOf: undefined as string | undefined, outage: false, grants: 0, calls: 0, hold: undefined as { call: number; arrived: () => void; gate: Promise<void> } | undefined };
  const gateway: RaiseGrantGateway = {
    async grant(mode, g) {
      state.calls += 1;
      if (state.hold?.call === state.calls) {
        // Azure slow to answer this one: the assignment lands only once the test lets it.
        state.hold.arrived();
        await state.hold.gate;
      }
      if (state.outage) throw Object.assign(new Error('ServiceUnavailable'), { statusCode: 503 });
      if (state.refuseGrantOf === g.roleName) throw new GrantRefusedError('RoleAssignmentRequestPolicyValidationFailed: ExpirationRule');
      state.grants += 1;
      const id = `${g.scope}/providers/Microsoft.Authorization/roleAssignments/${g.name}`;
      held.set(key(g), id);
      return { ...g, status: 'granted', roleAssignmentId: id, ...(mode === 'pim' ? { scheduleRequestId: `${g.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${g.name}` } : {}) };
    },
    async end(_mode, g) {
      held.delete(key(g));
    },
    async assignmentsFor(_p, g) {
      const id = held.get(key(g));
      return id ? [id] : [];
    },
    async deleteAssignment(id) {
      for (const [k, v] of held) if (v === id) held.delete(k);
    },
    async pimProblem() {
      return undefined;
    },
  };
  /** Holds the n-th grant call open until `release()`; `reached` settles when it is waiting. */
  const holdGrantCall = (call: number) => {
    let arrived!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((r) => (arrived = r));
    const gate = new Promise<void>((r) => (release = r));
    state.hold = { call, arrived, gate };
    return { reached, release };
  };
  return { gateway, held, state, holdGrantCall };
}

/** The log lines at error level. */
const errorsIn = (logs: string[]) => logs.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'error' || l.level === 'fatal');

let db: Database;
let audit: AuditLog;
let azure: ReturnType<typeof memoryAzure>;
let clock: ReturnType<typeof testClock>;
let failAudit = false;

/** The directory as Graph would answer: Sam's sign-in name is object id u-sam; nobody else is known. */
const directory = async (spelling: string): Promise<RequesterIdentity> =>
  spelling.toLowerCase() === 'sam.standard@contoso.example' ? { status: 'resolved', objectId: 'u-sam' } : { status: 'unresolved', reason: 'not_found' };

function service(approversRequired = 1, resolveRequester: ((spelling: string) => Promise<RequesterIdentity>) | null = directory, logger?: Logger): RaiseService {
  return createRaiseService({
    ...(logger ? { logger } : {}),
    ...(resolveRequester !== null ? { resolveRequester } : {}),
    store: createRaiseStore(db),
    agents: { get: async () => agent },
    inventory: { get: async () => inventory },
    policies: { levels: shipped.levels, approvals: { levelRaise: { requesterMayApprove: false, approversRequired, maxDurationMinutes: 480 } } },
    catalog: catalog.roles,
    gateway: azure.gateway,
    audit: { append: (input) => (failAudit ? Promise.reject(new Error('audit log unavailable')) : audit.append(input)) },
    clock: clock.now,
    pendingTtlSeconds: 600,
  });
}

const ask = (s: RaiseService, requester = { kind: 'agent' as const, id: agent.id, name: agent.name, onBehalfOf: 'Sam.Standard@contoso.example' }) =>
  s.request(agent.id, { resourceGroupIds: [RG], targetLevel: 'Privileged', durationMinutes: 60, justification: 'INC-9' }, requester);

beforeEach(async () => {
  db = await openTestStore(join(mkdtempSync(join(tmpdir(), 'elevate-raise-service-')), 'elevate.db'));
  await db.run("INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at) VALUES (?, ?, ?, ?, 't', 'Reader', 'Review', 'x', 'x')", [agent.id, agent.name, agent.uamiClientId, agent.uamiPrincipalId]);
  audit = createAuditLog(db);
  azure = memoryAzure();
  clock = testClock();
  failAudit = false;
});
afterEach(async () => {
  await db.close();
});

describe('raise service', () => {
  it('expires a raise nobody approved, without granting anything', async () => {
    const s = service();
    const r = await ask(s);
    clock.advance(601);
    await s.sweep();
    expect((await s.get(r.id)).state).toBe('expired');
    expect(azure.state.grants).toBe(0);
    await expect(s.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null)).rejects.toThrow(/expired/);
  });

  it('expires a raise whose pending window passed when someone approves it, with no sweep in between: refused, nothing granted', async () => {
    const s = service();
    const r = await ask(s);
    clock.advance(601);
    const refused = await s.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RaiseConflictError);
    expect(refused).toMatchObject({ code: 'invalid_state', message: 'the raise expired before it was approved' });
    expect(azure.state.grants).toBe(0);
    expect(azure.held.size).toBe(0);
    expect((await s.get(r.id)).state).toBe('expired');
    expect((await audit.list({ requestId: r.id, eventType: 'level-raise.expired' }, { limit: 10 })).entries).toHaveLength(1);
    expect((await audit.list({ requestId: r.id, eventType: 'level-raise.approved' }, { limit: 10 })).entries).toHaveLength(0);
  });

  it('expires a raise whose pending window passed when someone denies it, and says so', async () => {
    const s = service();
    const r = await ask(s);
    clock.advance(601);
    await expect(s.deny(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null)).rejects.toThrow('the raise expired before it was denied');
    expect((await s.get(r.id)).state).toBe('expired');
    expect((await audit.list({ requestId: r.id, eventType: 'level-raise.expired' }, { limit: 10 })).entries).toHaveLength(1);
    expect((await audit.list({ requestId: r.id, eventType: 'level-raise.denied' }, { limit: 10 })).entries).toHaveLength(0);
  });

  /**
   * Instance A approves a raise that makes two grants; the second is still on its way to Azure
   * when instance B ends the raise. `slow.release()` lets that grant land.
   */
  async function endWhileGranting() {
    const { logger, logs } = capturedLogger();
    const a = service(1, directory, logger);
    const b = service();
    const r = await ask(a);
    const slow = azure.holdGrantCall(2);
    const approving = a.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null);
    await slow.reached;
    expect(azure.held.size).toBe(1);
    const ended = await b.end(r.id, { id: 'u-2', name: 'bob@contoso.example' });
    return { logs, r, slow, approving, ended };
  }

  it('takes back a grant that lands after another instance ended the raise', async () => {
    const { logs, r, slow, approving, ended } = await endWhileGranting();
    expect(ended.state).toBe('ended');
    expect(azure.held.size).toBe(0);
    slow.release();
    const after = await approving;
    expect(after.state).toBe('ended');
    expect(azure.state.grants).toBe(2);
    expect(azure.held.size).toBe(0);
    const late = [...(await audit.list({ requestId: r.id, eventType: 'level-raise.late-grant-removed' }, { limit: 10 })).entries];
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ actor: { kind: 'system' }, outcome: 'removed', details: { grant: { role: 'Container Apps ManagedEnvironments Contributor', status: 'removed' } } });
    expect(errorsIn(logs)).toHaveLength(0);
  });

  it('records and logs a late grant it could not take back', async () => {
    const { logs, r, slow, approving } = await endWhileGranting();
    // Azure now refuses every removal.
    azure.gateway.end = async () => {
      throw new Error('ServiceUnavailable');
    };
    slow.release();
    expect((await approving).state).toBe('ended');
    expect(azure.held.size).toBe(1);
    const failed = [...(await audit.list({ requestId: r.id, eventType: 'level-raise.late-grant-remove-failed' }, { limit: 10 })).entries];
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ outcome: 'failed', details: { grant: { status: 'granted' }, problem: expect.stringContaining('ServiceUnavailable') } });
    expect(errorsIn(logs).map((l) => l.msg)).toEqual(['level raise: a grant made after the raise ended could not be removed']);
  });

  it('stores one of two raises asked for the same groups at the same moment, on two instances, and refuses the other', async () => {
    const [first, second] = await Promise.allSettled([ask(service()), ask(service())]);
    const outcomes = [first, second].map((o) => o.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const refused = [first, second].find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(RaiseConflictError);
    expect(refused.reason).toMatchObject({ code: 'raise_open' });
    expect((await service().listByAgent(agent.id)).filter((r) => r.state === 'pending')).toHaveLength(1);
    // Both passed the first check, so both were recorded as asked for; the one not stored is recorded as refused.
    const refusedEntries = (await audit.list({ eventType: 'level-raise.refused' }, { limit: 10 })).entries;
    const requested = (await audit.list({ eventType: 'level-raise.requested' }, { limit: 10 })).entries;
    expect(refusedEntries.length).toBe(requested.length - 1);
    if (refusedEntries.length === 1) expect(refusedEntries[0]).toMatchObject({ outcome: 'refused', details: { code: 'raise_open' } });
  });

  it('refuses a person named with control or bidi characters, or too long, and stores nothing', async () => {
    const s = service();
    for (const onBehalfOf of ['sam\u202e@contoso.example', 'sam\u0000', 'sam\nbob', 'x'.repeat(257), 42 as unknown as string]) {
      const refused = await ask(s, { kind: 'agent', id: agent.id, name: agent.name, onBehalfOf }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(RaiseInputError);
      expect(refused).toMatchObject({ code: 'invalid_requested_by' });
    }
    expect(await s.listByAgent(agent.id)).toHaveLength(0);
    expect((await audit.list({ eventType: 'level-raise.requested' }, { limit: 10 })).entries).toHaveLength(0);
    const r = await ask(s, { kind: 'agent', id: agent.id, name: agent.name, onBehalfOf: '  Sam.Standard@contoso.example ' });
    expect(r.requestedBy).toMatchObject({ onBehalfOf: 'Sam.Standard@contoso.example', onBehalfOfIdentity: { status: 'resolved', objectId: 'u-sam' } });
  });

  it('answers not found for an id no raise can have (NUL, slashes, too long), before any SQL', async () => {
    const s = service();
    const r = await ask(s);
    for (const id of ['\u0000', `${r.id}\u0000`, '../x', 'a'.repeat(65), '', 'ab cd']) {
      await expect(s.get(id)).rejects.toThrow(RaiseNotFoundError);
      await expect(s.getForAgent(agent.id, id)).rejects.toThrow(RaiseNotFoundError);
      await expect(s.approve(id, { id: 'u-1', name: 'ann@contoso.example' }, null)).rejects.toThrow(RaiseNotFoundError);
      await expect(s.end(id, { id: 'u-1', name: 'ann@contoso.example' })).rejects.toThrow(RaiseNotFoundError);
    }
    expect((await s.get(r.id)).state).toBe('pending');
  });

  it('needs two distinct approvers when the policy says so; the person the agent named cannot be one, by UPN in any case', async () => {
    const s = service(2);
    const r = await ask(s);
    await expect(s.approve(r.id, { id: 'u-sam', name: 'sam.standard@CONTOSO.example' }, null)).rejects.toThrow(RaiseInputError);
    const first = await s.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null);
    expect(first.state).toBe('pending');
    await expect(s.approve(r.id, { id: 'U-1', name: 'ann@contoso.example' }, null)).rejects.toThrow(/already approved/);
    const second = await s.approve(r.id, { id: 'u-2', name: 'bob@contoso.example' }, 'ok');
    expect(second).toMatchObject({ state: 'active', mode: 'pim' });
    expect(second.grants.map((g) => g.roleName).sort()).toEqual(['Container Apps Contributor', 'Container Apps ManagedEnvironments Contributor']);
    expect(azure.held.size).toBe(2);
  });

  it('compares the named requester by object id: the same person under another name cannot approve', async () => {
    const s = service();
    const r = await ask(s);
    expect(r.requestedBy.onBehalfOfIdentity).toEqual({ status: 'resolved', objectId: 'u-sam' });
    await expect(s.approve(r.id, { id: 'U-SAM', name: 'samuel@fabrikam.example' }, null)).rejects.toThrow(/cannot approve/);
    expect((await s.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null)).state).toBe('active');
  });

  it('needs one more approver when the person the agent named cannot be resolved (unknown, or no directory)', async () => {
    for (const s of [service(1), service(1, null)]) {
      const r = await ask(s, { kind: 'agent', id: agent.id, name: agent.name, onBehalfOf: 'the on-call person' });
      expect(r.requestedBy.onBehalfOfIdentity?.status).toBe('unresolved');
      const first = await s.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null);
      expect(first.state).toBe('pending');
      const second = await s.approve(r.id, { id: 'u-2', name: 'bob@contoso.example' }, null);
      expect(second.state).not.toBe('pending');
      await s.end(r.id, { id: 'u-1', name: 'ann@contoso.example' });
    }
    const approved = [...(await audit.list({ eventType: 'level-raise.approved' }, { limit: 10 })).entries];
    expect(approved.every((e) => (e.details as { approversRequired: number }).approversRequired === 2)).toBe(true);
  });

  it('needs no extra approver when the agent names nobody', async () => {
    const s = service(1, null);
    const r = await ask(s, { kind: 'agent', id: agent.id, name: agent.name } as never);
    expect((await s.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null)).state).toBe('active');
  });

  it('removes what was made when Azure refuses one grant for good', async () => {
    const s = service();
    azure.state.refuseGrantOf = 'Container Apps ManagedEnvironments Contributor';
    const r = await ask(s);
    const after = await s.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null);
    expect(after).toMatchObject({ state: 'ended', endReason: 'grant-failed' });
    expect(after.verifiedAt).not.toBeNull();
    expect(azure.held.size).toBe(0);
    const types = [...(await audit.list({ requestId: r.id }, { limit: 20 })).entries].reverse().map((e) => e.eventType);
    expect(types).toEqual(['level-raise.requested', 'level-raise.approved', 'level-raise.grant-failed', 'level-raise.verified-gone']);
  });

  it('leaves an interrupted grant to the sweeper, which finishes it without granting twice', async () => {
    const s = service();
    azure.state.outage = true;
    const r = await ask(s);
    expect((await s.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null)).state).toBe('granting');
    await s.sweep();
    expect((await s.get(r.id)).state).toBe('granting');
    azure.state.outage = false;
    await s.sweep();
    expect((await s.get(r.id)).state).toBe('active');
    expect(azure.state.grants).toBe(2);
    await s.sweep();
    expect(azure.state.grants).toBe(2);
  });

  it('changes nothing when the audit log refuses the entry', async () => {
    const s = service();
    failAudit = true;
    await expect(ask(s)).rejects.toThrow(/audit/);
    expect(await s.listByAgent(agent.id)).toHaveLength(0);
    failAudit = false;
    const r = await ask(s);
    failAudit = true;
    await expect(s.approve(r.id, { id: 'u-1', name: 'ann@contoso.example' }, null)).rejects.toThrow(/audit/);
    expect((await s.get(r.id)).state).toBe('pending');
    expect(azure.state.grants).toBe(0);
  });
});
