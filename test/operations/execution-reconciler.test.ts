/**
 * Issue 11, item 2: requests stuck in `executing` after a crash. The reconciler ends them from
 * the execution's durable record and never sends the operation to ARM again. A crash is
 * reproduced by writing exactly what an interrupted process leaves in the database (the same
 * rows and audit entries the executor writes), then reconciling as the next process would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { armRequestEntry, SYSTEM_ACTOR } from '../../src/operations/operation-audit.ts';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import { makeAgent, PRIVILEGED_PRINCIPAL, RESTART } from './support/operation-fixtures.ts';
import { auditEntries, createHarness, type Harness } from './support/operations-harness.ts';

const privileged = makeAgent({ id: 'agent-priv', name: 'sre-agent-priv', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });
const restart = (key: string) => ({ method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'stuck', trigger: { kind: 'chat' }, idempotencyKey: key });
const APPROVER = { kind: 'user' as const, id: 'approver-oid', name: 'ada' };
const POLL = 'https://arm.test.invalid/subscriptions/s/providers/Microsoft.App/locations/x/containerappOperationStatuses/op-1?api-version=2024-03-01';

let h: Harness;
beforeEach(async () => {
  h = await createHarness({ agents: [privileged] });
});
afterEach(async () => {
  await h.close();
});

/** A request approved and moved to executing, as an interrupted process leaves it. */
async function interrupted(key: string, record?: { kind: 'agent' | 'obo'; audited: boolean; pollUrl?: string; result?: 'succeeded' | 'failed'; instanceId?: string; leaseMs?: number }): Promise<OperationRequest> {
  const r = await h.module.service.submit(privileged, restart(key));
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  expect((await h.module.lifecycle.approve(r.value.id, APPROVER)).ok).toBe(true);
  // Without a record: a request left `executing` with no intent, as rows from before the start
  // gate wrote both in one transaction may be.
  const execution = record && { requestId: r.value.id, actingIdentity: PRIVILEGED_PRINCIPAL, operationHash: r.value.operationHash, startedAt: h.clock.now.toISOString(), correlationId: `corr-${key}`, credentialKind: record.kind, instanceId: record.instanceId ?? null, ...(record.leaseMs ? { leaseMs: record.leaseMs } : {}) };
  const started = await h.module.lifecycle.applyById(r.value.id, { event: 'start', actor: APPROVER, actingIdentity: PRIVILEGED_PRINCIPAL, ...(execution ? { execution } : {}) });
  if (!started.ok) throw new Error('start failed');
  if (record) {
    if (record.audited) await h.auditLog.append(armRequestEntry(started.request, APPROVER, PRIVILEGED_PRINCIPAL, `corr-${key}`));
    if (record.pollUrl) await h.module.store.recordPollTarget(r.value.id, { mode: 'async-operation', url: record.pollUrl }, { status: 202 });
    if (record.result) await h.module.store.finishExecution(r.value.id, h.clock.now.toISOString(), record.result, { status: record.result === 'succeeded' ? 200 : 409, correlationId: `corr-${key}` });
  }
  return started.request;
}

const stateOf = async (id: string) => (await h.module.store.get(id))!.request;

describe('execution reconciler', () => {
  it('fails, as not sent, an execution interrupted before its ARM call was audited', async () => {
    const a = await interrupted('r-1');
    const b = await interrupted('r-2', { kind: 'agent', audited: false });
    const report = await h.module.reconcile();
    expect(report).toMatchObject({ examined: 2, notSent: 2 });
    for (const r of [a, b]) {
      const now = await stateOf(r.id);
      expect(now.state).toBe('failed');
      expect(now.error?.code).toBe('interrupted_before_arm');
    }
    expect(h.armCalls).toEqual([]);
    const failed = (await auditEntries(h, { requestId: a.id, outcome: 'failed' }))[0]!;
    expect(failed.details).toMatchObject({ reconciled: true, error: { code: 'interrupted_before_arm' } });
  });

  it('follows a long-running operation the agent started to its end, with GETs only', async () => {
    h.setPoll(() => ({ status: 200, body: { status: 'Succeeded' } }));
    const r = await interrupted('r-3', { kind: 'agent', audited: true, pollUrl: POLL });
    const report = await h.module.reconcile();
    expect(report).toMatchObject({ examined: 1, resumed: 1 });
    await expect.poll(async () => (await stateOf(r.id)).state, { timeout: 5000 }).toBe('succeeded');
    expect(h.armCalls).toEqual([]);
    expect(h.armPolls[0]).toBe(POLL);
    expect((await stateOf(r.id)).arm?.correlationId).toBe('corr-r-3');
  });

  it("ends as outcome_unknown an elevation whose approver token died with the process, naming the correlation id", async () => {
    const r = await interrupted('r-4', { kind: 'obo', audited: true, pollUrl: POLL });
    const direct = await interrupted('r-5', { kind: 'agent', audited: true });
    const report = await h.module.reconcile();
    expect(report).toMatchObject({ examined: 2, outcomeUnknown: 2 });
    const now = await stateOf(r.id);
    expect(now.state).toBe('outcome_unknown');
    expect(now.error?.code).toBe('outcome_unknown');
    expect(now.error?.message).toContain('corr-r-4');
    expect(now.stateReason).toMatch(/will not be re-run/);
    expect((await stateOf(direct.id)).state).toBe('outcome_unknown');
    expect(h.armCalls).toEqual([]);
    expect(h.armPolls).toEqual([]);
    const entry = (await auditEntries(h, { requestId: r.id, outcome: 'outcome_unknown' }))[0]!;
    expect(entry.details).toMatchObject({ event: 'unknown', from: 'executing', to: 'outcome_unknown', correlationId: 'corr-r-4', reconciled: true });
    // final: a second pass and any event leave it alone
    expect(await h.module.reconcile()).toMatchObject({ examined: 0 });
  });

  it("applies ARM's answer recorded on the execution when the request did not get it", async () => {
    const ok = await interrupted('r-6', { kind: 'agent', audited: true, result: 'succeeded' });
    const ko = await interrupted('r-7', { kind: 'obo', audited: true, result: 'failed' });
    expect(await h.module.reconcile()).toMatchObject({ finishedFromRecord: 2 });
    expect((await stateOf(ok.id)).state).toBe('succeeded');
    expect((await stateOf(ko.id)).state).toBe('failed');
  });

  it('leaves alone what this process is executing, and periodic passes only take requests unchanged for an interval', async () => {
    h.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': POLL } }));
    h.setPoll(() => ({ status: 200, body: { status: 'InProgress' } }));
    const live = await h.module.service.submit(privileged, { ...restart('r-8'), trigger: { kind: 'incident' } });
    expect(live.ok && live.value.state).toBe('executing');
    expect(await h.module.reconcile({ olderThanMs: 0 })).toMatchObject({ examined: 0 });
    expect((await stateOf(live.ok ? live.value.id : '')).state).toBe('executing');

    const stale = await interrupted('r-9', { kind: 'obo', audited: true });
    // updated "now" by the harness clock: not yet an interval old
    expect(await h.module.reconcile({ olderThanMs: 60_000 })).toMatchObject({ examined: 0 });
    h.clock.advance(61_000);
    expect(await h.module.reconcile({ olderThanMs: 60_000 })).toMatchObject({ examined: 1, outcomeUnknown: 1 });
    expect((await stateOf(stale.id)).state).toBe('outcome_unknown');
  });

  it('ends an approved request that never started as cancelled, not run', async () => {
    const r = await h.module.service.submit(privileged, restart('r-10'));
    if (!r.ok) throw new Error('submit');
    expect((await h.module.lifecycle.approve(r.value.id, APPROVER)).ok).toBe(true);
    h.clock.advance(61_000);
    expect(await h.module.reconcile({ olderThanMs: 60_000 })).toMatchObject({ notStarted: 1 });
    const now = await stateOf(r.value.id);
    expect(now.state).toBe('cancelled');
    expect(now.stateReason).toMatch(/it was not run/);
    expect(await h.module.store.countExecutions(r.value.id)).toBe(0);
  });
});

describe('execution reconciler with several instances (issue 16)', () => {
  /** This instance is "me"; "other-live" is another running instance, "other-dead" one that ended. */
  const liveness = { id: 'me', isAlive: async (other: string) => other === 'me' || other === 'other-live' };
  beforeEach(async () => {
    await h.close();
    h = await createHarness({ agents: [privileged], liveness });
  });
  const ownerOf = async (id: string) => (await h.module.store.getExecution(id))?.instanceId;

  it("leaves a live instance's execution alone, and ends a dead instance's and an unowned one as before", async () => {
    const live = await interrupted('m-1', { kind: 'obo', audited: true, instanceId: 'other-live' });
    const dead = await interrupted('m-2', { kind: 'obo', audited: true, instanceId: 'other-dead' });
    const unowned = await interrupted('m-3', { kind: 'obo', audited: true });
    expect(await h.module.reconcile()).toMatchObject({ examined: 2, outcomeUnknown: 2, otherInstance: 1 });
    expect((await stateOf(live.id)).state).toBe('executing');
    expect(await ownerOf(live.id)).toBe('other-live');
    for (const r of [dead, unowned]) {
      expect((await stateOf(r.id)).state).toBe('outcome_unknown');
      // claimed by this instance before it acted
      expect(await ownerOf(r.id)).toBe('me');
    }
    expect(h.armCalls).toEqual([]);
  });

  it("resumes following a dead instance's long-running operation as its own, and a later pass leaves it to this instance", async () => {
    h.setPoll(() => ({ status: 200, body: { status: 'InProgress' } }));
    const r = await interrupted('m-4', { kind: 'agent', audited: true, pollUrl: POLL, instanceId: 'other-dead' });
    expect(await h.module.reconcile()).toMatchObject({ examined: 1, resumed: 1 });
    expect(await ownerOf(r.id)).toBe('me');
    // followed here now: not touched again
    expect(await h.module.reconcile({ olderThanMs: 0 })).toMatchObject({ examined: 0, otherInstance: 0 });
    expect(h.armCalls).toEqual([]);
  });

  it("audits a takeover before acting on it, and the entry that ends the request names the instance it was taken from", async () => {
    const dead = await interrupted('m-6', { kind: 'obo', audited: true, instanceId: 'other-dead' });
    const unowned = await interrupted('m-7', { kind: 'obo', audited: true });
    expect(await h.module.reconcile()).toMatchObject({ examined: 2, outcomeUnknown: 2 });
    for (const [r, from] of [[dead, 'other-dead'], [unowned, null]] as const) {
      const entries = await auditEntries(h, { requestId: r.id });
      const takeover = entries.findIndex((e) => e.eventType === 'operation.execution.taken_over');
      const ended = entries.findIndex((e) => e.eventType === 'operation.transition' && e.outcome === 'outcome_unknown');
      expect(takeover).toBeGreaterThan(-1);
      expect(ended).toBeGreaterThan(takeover);
      expect(entries[takeover]).toMatchObject({ outcome: 'taken_over', details: { fromInstance: from, toInstance: 'me', correlationId: `corr-${r === dead ? 'm-6' : 'm-7'}` } });
      expect(entries[ended]!.details).toMatchObject({ reconciled: true, instance: 'me', takenOverFrom: from });
    }
  });

  it("names the instance taken over from on the entry that ends a resumed long-running operation", async () => {
    h.setPoll(() => ({ status: 200, body: { status: 'Succeeded' } }));
    const r = await interrupted('m-8', { kind: 'agent', audited: true, pollUrl: POLL, instanceId: 'other-dead' });
    expect(await h.module.reconcile()).toMatchObject({ resumed: 1 });
    await expect.poll(async () => (await stateOf(r.id)).state, { timeout: 5000 }).toBe('succeeded');
    // The transition is audited right after its compare-and-set: the entry may trail the state.
    await expect.poll(async () => (await auditEntries(h, { requestId: r.id, outcome: 'succeeded' })).length, { timeout: 5000 }).toBe(1);
    const ended = (await auditEntries(h, { requestId: r.id, outcome: 'succeeded' }))[0]!;
    expect(ended.details).toMatchObject({ reconciled: true, instance: 'me', takenOverFrom: 'other-dead', correlationId: 'corr-m-8' });
    expect(h.armCalls).toEqual([]);
  });

  it("keeps ARM's answer that arrives after another instance ended the request: the state stays, the answer is audited beside it", async () => {
    // This instance follows an operation; another, judging it gone (its liveness session dropped
    // for a moment), ends the request outcome_unknown before ARM's answer arrives here.
    let armState = 'Running';
    h.setPoll(() => ({ status: 200, body: { status: armState } }));
    const r = await interrupted('m-10', { kind: 'agent', audited: true, pollUrl: POLL, instanceId: 'other-dead' });
    expect(await h.module.reconcile()).toMatchObject({ resumed: 1 });
    await expect.poll(() => h.armPolls.length, { timeout: 5000 }).toBeGreaterThan(0);
    expect((await h.module.lifecycle.apply(await stateOf(r.id), { event: 'unknown', actor: SYSTEM_ACTOR, reason: 'its instance was judged gone' })).ok).toBe(true);
    armState = 'Succeeded';
    const late = () => auditEntries(h, { requestId: r.id, eventType: 'operation.execution.late_result' });
    await expect.poll(async () => (await late()).length, { timeout: 5000 }).toBe(1);
    expect((await late())[0]).toMatchObject({ outcome: 'succeeded', details: { observed: 'succeeded', endedAs: 'outcome_unknown', status: 200, correlationId: 'corr-m-10' } });
    // A final state never moves, nothing was sent again, and the chain holds.
    expect((await stateOf(r.id)).state).toBe('outcome_unknown');
    expect(h.armCalls).toEqual([]);
    expect((await auditEntries(h, { requestId: r.id, outcome: 'succeeded' })).map((e) => e.eventType)).toEqual(['operation.execution.late_result']);
    expect(await h.auditLog.verify()).toMatchObject({ ok: true });
  });

  it('hands the claim back and does nothing when the takeover cannot be audited, then takes it over once the log is back', async () => {
    const r = await interrupted('m-9', { kind: 'obo', audited: true, instanceId: 'other-dead' });
    h.setAuditFailing(true);
    expect(await h.module.reconcile()).toMatchObject({ examined: 0, outcomeUnknown: 0 });
    expect((await stateOf(r.id)).state).toBe('executing');
    expect(await ownerOf(r.id)).toBe('other-dead');
    h.setAuditFailing(false);
    expect(await h.module.reconcile({ olderThanMs: 0 })).toMatchObject({ examined: 1, outcomeUnknown: 1 });
    expect(await ownerOf(r.id)).toBe('me');
    expect(await auditEntries(h, { requestId: r.id, eventType: 'operation.execution.taken_over' })).toHaveLength(1);
    expect(h.armCalls).toEqual([]);
  });

  it('writes this instance id with the intent of each execution it starts', async () => {
    const r = await h.module.service.submit(privileged, { ...restart('m-5'), trigger: { kind: 'incident' } });
    if (!r.ok) throw new Error('submit');
    expect(await ownerOf(r.value.id)).toBe('me');
  });
});

describe('execution leases: an instance that only looks gone (issue 16)', () => {
  // Every other instance looks gone to "me", as one whose liveness session dropped does.
  const judgesOthersGone = (id: string) => ({ id, isAlive: async (other: string) => other === id });
  beforeEach(async () => {
    await h.close();
    h = await createHarness({ agents: [privileged], liveness: judgesOthersGone('me'), executionLeaseMs: 600 });
  });
  const ownerOf = async (id: string) => (await h.module.store.getExecution(id))?.instanceId;

  it('leaves an execution alone while its lease runs, however gone its instance looks, and takes it over once the lease has run out', async () => {
    const r = await interrupted('l-1', { kind: 'obo', audited: true, instanceId: 'other-blinking', leaseMs: 60_000 });
    expect(await h.module.reconcile()).toMatchObject({ examined: 0, otherInstance: 1 });
    expect((await stateOf(r.id)).state).toBe('executing');
    expect(await ownerOf(r.id)).toBe('other-blinking');
    expect(await auditEntries(h, { requestId: r.id, eventType: 'operation.execution.taken_over' })).toHaveLength(0);

    const short = await interrupted('l-2', { kind: 'obo', audited: true, instanceId: 'other-gone', leaseMs: 50 });
    // By the database's clock, 50 ms later: taken over, as a dead instance's is.
    await expect.poll(async () => (await h.module.reconcile({ olderThanMs: 0 })).outcomeUnknown, { timeout: 5000, interval: 50 }).toBe(1);
    expect((await stateOf(short.id)).state).toBe('outcome_unknown');
    expect(await ownerOf(short.id)).toBe('me');
    expect((await stateOf(r.id)).state).toBe('executing');
    expect(h.armCalls).toEqual([]);
  });

  it('a second instance that judges the running one gone leaves its operation to it while it renews its lease; ARM answers there, and nothing arrives late', async () => {
    // "me" runs the operation; "other" shares the database and sees "me" as gone all along.
    const other = await createHarness({ agents: [privileged], liveness: judgesOthersGone('other'), executionLeaseMs: 600, sharedDb: h.db });
    try {
      let armState = 'InProgress';
      h.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': POLL } }));
      h.setPoll(() => ({ status: 200, body: { status: armState } }));
      const r = await h.module.service.submit(privileged, { ...restart('l-3'), trigger: { kind: 'incident' } });
      if (!r.ok) throw new Error('submit');
      expect(r.value.state).toBe('executing');
      // Past several lease lengths, the other instance's passes find it held.
      for (let pass = 0; pass < 4; pass += 1) {
        expect(await other.module.reconcile({ olderThanMs: 0 })).toMatchObject({ examined: 0, otherInstance: 1 });
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
      expect(await ownerOf(r.value.id)).toBe('me');
      armState = 'Succeeded';
      await expect.poll(async () => (await stateOf(r.value.id)).state, { timeout: 5000 }).toBe('succeeded');
      expect(await auditEntries(h, { requestId: r.value.id, eventType: 'operation.execution.taken_over' })).toHaveLength(0);
      expect(await auditEntries(h, { requestId: r.value.id, eventType: 'operation.execution.late_result' })).toHaveLength(0);
      expect(h.armCalls).toHaveLength(1);
      expect(other.armCalls).toEqual([]);
      expect(other.armPolls).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('stops polling at once when its execution was taken over, and leaves its end to the instance that took it', async () => {
    h.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': POLL } }));
    h.setPoll(() => ({ status: 200, body: { status: 'InProgress' } }));
    const r = await h.module.service.submit(privileged, { ...restart('l-4'), trigger: { kind: 'incident' } });
    if (!r.ok) throw new Error('submit');
    await expect.poll(() => h.armPolls.length, { timeout: 5000 }).toBeGreaterThan(0);
    // Another instance's claim, as after a lease that ran out while this one's clock lagged.
    await h.db.run("UPDATE executions SET instance_id = 'other', lease_until = NULL WHERE request_id = ?", [r.value.id]);
    // The next renewal (every 200 ms) finds it gone: polling stops, the request is left as it is.
    await expect.poll(() => h.module.executor.isFollowing(r.value.id), { timeout: 5000 }).toBe(false);
    const polls = h.armPolls.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.armPolls.length).toBe(polls);
    expect((await stateOf(r.value.id)).state).toBe('executing');
    expect(await ownerOf(r.value.id)).toBe('other');
    expect(h.armCalls).toHaveLength(1);
  });

  it('ends as outcome_unknown, without waiting on, an ARM call still unanswered when its execution is taken over', async () => {
    let answer: ((r: { status: number }) => void) | undefined;
    h.setArm(() => new Promise((resolve) => (answer = resolve)));
    const pending = h.module.service.submit(privileged, { ...restart('l-5'), trigger: { kind: 'incident' } });
    await expect.poll(() => h.armCalls.length, { timeout: 5000 }).toBe(1);
    const id = (await h.module.store.listInState('executing', undefined, 10))[0]!.id;
    await h.db.run("UPDATE executions SET instance_id = 'other', lease_until = NULL WHERE request_id = ?", [id]);
    const r = await pending;
    if (!r.ok) throw new Error('submit');
    expect(r.value.state).toBe('outcome_unknown');
    expect(r.value.error).toMatchObject({ code: 'outcome_unknown' });
    expect(r.value.error?.message).toContain('another instance took it over');
    expect(r.value.error?.message).toContain(h.armCalls[0]!.correlationId);
    // ARM's answer, should it come now, is not waited for.
    answer?.({ status: 200 });
    expect(h.armCalls).toHaveLength(1);
    expect(await auditEntries(h, { requestId: id, eventType: 'operation.execution.late_result' })).toHaveLength(0);
  });

  it('hands the lease back at shutdown, so another instance takes the operation over at once', async () => {
    const other = await createHarness({ agents: [privileged], liveness: judgesOthersGone('other'), executionLeaseMs: 60_000, sharedDb: h.db });
    const first = h;
    try {
      first.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': POLL } }));
      first.setPoll(() => ({ status: 200, body: { status: 'InProgress' } }));
      const r = await first.module.service.submit(privileged, { ...restart('l-6'), trigger: { kind: 'incident' } });
      if (!r.ok) throw new Error('submit');
      expect((await first.module.store.getExecution(r.value.id))?.leaseUntil).not.toBeNull();
      await first.module.close();
      expect((await other.module.store.getExecution(r.value.id))?.leaseUntil).toBeNull();
      other.setPoll(() => ({ status: 200, body: { status: 'Succeeded' } }));
      expect(await other.module.reconcile({ olderThanMs: 0 })).toMatchObject({ examined: 1, resumed: 1 });
      await expect.poll(async () => (await other.module.store.get(r.value.id))!.request.state, { timeout: 5000 }).toBe('succeeded');
      expect(first.armCalls).toHaveLength(1);
      expect(other.armCalls).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
