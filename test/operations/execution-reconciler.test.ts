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
async function interrupted(key: string, record?: { kind: 'agent' | 'obo'; audited: boolean; pollUrl?: string; result?: 'succeeded' | 'failed'; instanceId?: string }): Promise<OperationRequest> {
  const r = await h.module.service.submit(privileged, restart(key));
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  expect((await h.module.lifecycle.approve(r.value.id, APPROVER)).ok).toBe(true);
  // Without a record: a request left `executing` with no intent, as rows from before the start
  // gate wrote both in one transaction may be.
  const execution = record && { requestId: r.value.id, actingIdentity: PRIVILEGED_PRINCIPAL, operationHash: r.value.operationHash, startedAt: h.clock.now.toISOString(), correlationId: `corr-${key}`, credentialKind: record.kind, instanceId: record.instanceId ?? null };
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
