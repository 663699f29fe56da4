import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/operations/operation-audit.ts';
import { AuditUnavailableError } from '../../src/operations/request-lifecycle.ts';
import { makeAgent, PRIVILEGED_PRINCIPAL, RESTART } from './support/operation-fixtures.ts';
import { auditEntries, createHarness, type Harness } from './support/operations-harness.ts';

const agent = makeAgent({ id: 'agent-priv', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });
const approver = { kind: 'user' as const, id: 'admin-oid-1', name: 'Admin One' };
const restart = (key: string) => ({
  method: 'POST',
  path: RESTART,
  apiVersion: '2024-03-01',
  justification: 'restart',
  trigger: { kind: 'chat' },
  idempotencyKey: key,
});

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

async function pending(key: string) {
  const r = await h.module.service.submit(agent, restart(key));
  if (!r.ok) throw new Error(r.error.message);
  expect(r.value.state).toBe('pending_consent');
  return r.value;
}

describe('request lifecycle', () => {
  it('approve then deny: the second loses; approvals are audited with the approver', async () => {
    const req = await pending('a-1');
    const approved = await h.module.lifecycle.approve(req.id, approver, { reason: 'looks right' });
    expect(approved.ok && approved.request).toMatchObject({ state: 'approved', version: 1, stateReason: 'looks right' });
    // approval gives a fresh execution deadline
    expect(approved.ok && approved.request.expiresAt).toBe(new Date(h.clock.now.getTime() + 3600_000).toISOString());
    const denied = await h.module.lifecycle.deny(req.id, approver, { reason: 'changed my mind' });
    expect(denied).toMatchObject({ ok: false, code: 'invalid_state' });
    const [entry] = await auditEntries(h, { eventType: 'operation.transition', requestId: req.id });
    expect(entry).toMatchObject({ outcome: 'approved', approverId: 'admin-oid-1', actor: { kind: 'user', id: 'admin-oid-1' } });
    expect(entry!.details).toMatchObject({ from: 'pending_consent', to: 'approved', event: 'approve', reason: 'looks right' });
    expect(await h.module.lifecycle.approve('no-such-id', approver)).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('50 racing cancels and expiries end in one final state with one transition entry', async () => {
    const req = await pending('race-1');
    h.clock.advance(3600_000 + 1);
    const racers = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? h.module.lifecycle.cancel(req.id, { kind: 'agent', id: agent.id }).then((r) => (r.ok ? 'cancelled' : 'lost'))
        : h.module.sweep().then((n) => (n === 1 ? 'expired' : 'lost')),
    );
    const results = await Promise.all(racers);
    const winners = results.filter((r) => r !== 'lost');
    expect(winners).toHaveLength(1);
    const stored = (await h.module.store.get(req.id))!.request;
    expect(stored.state).toBe(winners[0]);
    expect(stored.version).toBe(1);
    const transitions = await auditEntries(h, { eventType: 'operation.transition', requestId: req.id });
    expect(transitions).toHaveLength(1);
    expect(transitions[0]!.outcome).toBe(winners[0]);
  });

  it('through the API too: racing agent cancels, lazy expiry on read and the sweeper leave one transition', async () => {
    const req = await pending('race-3');
    h.clock.advance(3600_000 + 1);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 3 === 0 ? h.module.service.cancel(agent, req.id) : i % 3 === 1 ? h.module.service.get(agent, req.id) : h.module.sweep(),
      ),
    );
    const stored = (await h.module.store.get(req.id))!.request;
    expect(stored.state).toBe('expired');
    expect(stored.version).toBe(1);
    expect(await auditEntries(h, { eventType: 'operation.transition', requestId: req.id })).toHaveLength(1);
  });

  it('50 racing approvals: exactly one wins', async () => {
    const req = await pending('race-2');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => h.module.lifecycle.approve(req.id, { ...approver, id: `admin-${i}` })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await auditEntries(h, { eventType: 'operation.transition', requestId: req.id })).toHaveLength(1);
  });

  it('50 racing approvals, each with its decision: only the winner’s decision is recorded, before its transition', async () => {
    const req = await pending('race-decision');
    const decision = (i: number) => ({ actor: { ...approver, id: `admin-${i}` }, eventType: 'approval.decided', requestId: req.id, outcome: 'approve', approverId: `admin-${i}`, details: {} });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => h.module.lifecycle.approve(req.id, { ...approver, id: `admin-${i}` }, { decision: decision(i) })));
    const winner = results.findIndex((r) => r.ok);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const trail = (await auditEntries(h, { requestId: req.id })).filter((e) => e.eventType !== 'operation.requested');
    expect(trail.map((e) => [e.eventType, e.approverId])).toEqual([
      ['approval.decided', `admin-${winner}`],
      ['operation.transition', `admin-${winner}`],
    ]);
  });

  it('refuses to approve or start a request whose deadline has passed, and expires it, even from a snapshot read in time', async () => {
    const req = await pending('late-1');
    // Read while it was still in time, then the caller was slow (an OBO exchange, a busy node).
    const snapshot = (await h.module.store.get(req.id))!.request;
    h.clock.advance(3600_000 + 1);
    const late = await h.module.lifecycle.apply(snapshot, { event: 'approve', actor: approver });
    expect(late).toMatchObject({ ok: false, code: 'invalid_state', message: 'the request expired before it could be approved', request: { state: 'expired' } });
    const entries = await auditEntries(h, { eventType: 'operation.transition', requestId: req.id });
    expect(entries.map((e) => e.outcome)).toEqual(['expired']);

    const other = await pending('late-2');
    const approved = await h.module.lifecycle.approve(other.id, approver);
    expect(approved.ok).toBe(true);
    const inTime = (await h.module.store.get(other.id))!.request;
    h.clock.advance(3600_000 + 1);
    const start = await h.module.lifecycle.apply(inTime, { event: 'start', actor: SYSTEM_ACTOR });
    expect(start).toMatchObject({ ok: false, code: 'invalid_state', message: 'the request expired before it could start', request: { state: 'expired' } });
    // Ending a late request is still allowed: a deny or cancel is not held back by the deadline.
    const third = await pending('late-3');
    h.clock.advance(3600_000 + 1);
    expect(await h.module.lifecycle.deny(third.id, approver, { reason: 'no' })).toMatchObject({ ok: true, to: 'denied' });
  });

  it('reverts a transition whose audit entry cannot be written', async () => {
    const req = await pending('audit-1');
    h.setAuditFailing(true);
    await expect(h.module.lifecycle.approve(req.id, approver)).rejects.toThrow(AuditUnavailableError);
    const stored = (await h.module.store.get(req.id))!.request;
    expect(stored.state).toBe('pending_consent');
    expect(stored.expiresAt).toBe(req.expiresAt);
    expect(stored.stateReason).toBeUndefined();
    const cancel = await h.module.service.cancel(agent, req.id);
    expect(!cancel.ok && [cancel.status, cancel.error.code]).toEqual([503, 'audit_unavailable']);
    h.setAuditFailing(false);
    expect((await h.module.lifecycle.cancel(req.id, SYSTEM_ACTOR)).ok).toBe(true);
  });
});

describe('executeRequest', () => {
  it('runs an approved request once, however many callers race to run it', async () => {
    const req = await pending('x-1');
    await h.module.lifecycle.approve(req.id, approver);
    h.setArm(() => ({ status: 200, body: {} }));
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => h.module.executor.executeRequest(req.id, h.credential, 'admin-oid-1')));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok).every((o) => !o.ok && o.code === 'not_approved')).toBe(true);
    expect(h.armCalls).toHaveLength(1);
    expect(await h.module.store.countExecutions(req.id)).toBe(1);
    const stored = (await h.module.store.get(req.id))!.request;
    expect(stored).toMatchObject({ state: 'succeeded', actingIdentity: 'admin-oid-1' });
    // never again, even if someone forces the state back
    await h.db.run("UPDATE operation_requests SET state = 'approved' WHERE id = ?", [req.id]);
    const again = await h.module.executor.executeRequest(req.id, h.credential, 'admin-oid-1');
    expect(again.ok && again.request.state).toBe('failed');
    expect(again.ok && again.request.error?.code).toBe('already_executed');
    expect(h.armCalls).toHaveLength(1);
    // the first run's record is kept as it was
    expect(await h.module.store.getExecution(req.id)).toMatchObject({ result: 'succeeded', actingIdentity: 'admin-oid-1' });
  });

  it('refuses pending, denied and unknown requests', async () => {
    const req = await pending('x-2');
    expect(await h.module.executor.executeRequest(req.id, h.credential, 'a')).toMatchObject({ ok: false, code: 'not_approved' });
    expect(await h.module.executor.executeRequest('missing', h.credential, 'a')).toMatchObject({ ok: false, code: 'not_found' });
    expect(h.armCalls).toHaveLength(0);
  });

  it('fails a request whose stored operation no longer matches its hash, without calling ARM', async () => {
    const req = await pending('x-3');
    await h.module.lifecycle.approve(req.id, approver);
    await h.db.run('UPDATE operation_requests SET path = ? WHERE id = ?', [RESTART.replace('rev1', 'rev2'), req.id]);
    const out = await h.module.executor.executeRequest(req.id, h.credential, 'admin-oid-1');
    expect(out.ok && out.request.state).toBe('failed');
    expect(out.ok && out.request.error?.code).toBe('operation_mismatch');
    expect(h.armCalls).toHaveLength(0);
  });

  it('does not call ARM when the audit log cannot record the call', async () => {
    const req = await pending('x-4');
    await h.module.lifecycle.approve(req.id, approver);
    let appends = 0;
    const realAppend = h.auditLog.append.bind(h.auditLog);
    // let the `start` transition be recorded, then fail
    h.auditLog.append = async (input) => {
      appends += 1;
      if (appends > 1) throw new Error('disk full');
      return realAppend(input);
    };
    h.setAuditFailing(false);
    await expect(h.module.executor.executeRequest(req.id, h.credential, 'admin-oid-1')).rejects.toThrow(AuditUnavailableError);
    expect(h.armCalls).toHaveLength(0);
    h.auditLog.append = realAppend;
  });

  it('follows a long-running operation (202 + Azure-AsyncOperation) to completion', async () => {
    const req = await pending('x-5');
    await h.module.lifecycle.approve(req.id, approver);
    h.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': 'https://arm.test.invalid/operations/op1?api-version=2024-03-01' } }));
    let polls = 0;
    h.setPoll(() => (++polls < 3 ? { status: 200, body: { status: 'InProgress' } } : { status: 200, body: { status: 'Succeeded' } }));
    const out = await h.module.executor.executeRequest(req.id, h.credential, 'admin-oid-1');
    expect(out.ok && out.request.state).toBe('succeeded');
    expect(out.ok && out.request.arm?.asyncStatus).toBe('succeeded');
    const accepted = await auditEntries(h, { requestId: req.id, eventType: 'arm.response' });
    expect(accepted.map((e) => e.outcome)).toEqual(['202']);
    expect(h.armPolls.length).toBeGreaterThanOrEqual(3);
  });

  it('reports a long-running operation that outlasts the wait as executing, and completes it later', async () => {
    const req = await pending('x-6');
    await h.module.lifecycle.approve(req.id, approver);
    h.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': 'https://arm.test.invalid/operations/op2?api-version=2024-03-01' } }));
    let done = false;
    h.setPoll(() => ({ status: 200, body: { status: done ? 'Failed' : 'InProgress', error: { code: 'RevisionFailed', message: 'container exited' } } }));
    const out = await h.module.executor.executeRequest(req.id, h.credential, 'admin-oid-1', { waitMs: 50 });
    expect(out.ok && out.request.state).toBe('executing');
    expect(out.ok && out.request.arm).toMatchObject({ status: 202, asyncStatus: 'running' });
    done = true;
    const waited = await h.module.service.get(agent, req.id, '10');
    expect(waited.ok && waited.value.state).toBe('failed');
    expect(waited.ok && waited.value.error).toEqual({ code: 'RevisionFailed', message: 'container exited' });
  });

  it('refuses to follow polling URLs off the ARM endpoint', async () => {
    const req = await pending('x-7');
    await h.module.lifecycle.approve(req.id, approver);
    h.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': 'https://evil.example/steal' } }));
    const out = await h.module.executor.executeRequest(req.id, h.credential, 'admin-oid-1');
    expect(out.ok && out.request.state).toBe('failed');
    expect(out.ok && out.request.error?.code).toBe('UntrustedPollUrl');
    expect(h.armPolls).toHaveLength(0);
  });
});
