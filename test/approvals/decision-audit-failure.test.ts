/**
 * An approval whose audit entries cannot all be written: nothing runs, the request ends in a
 * defined state that the audit log agrees with, and nothing is left stuck. The decision's entry
 * (`approval.decided`) comes right after the winning compare-and-set: if it fails the approval is
 * taken back; once it is on record the approval is never taken back under it, and the request,
 * approved and not started, is ended by the reconciler.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../operations/support/operations-harness.ts';
import { ADA, approvalsInstance, GRACE, privileged, raise, recordOf, signInFor } from './support/approval-instances.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const state = async (id: string) => (await h.module.store.get(id))?.request.state;

describe('elevation', () => {
  it('approval.decided cannot be appended: the approval is taken back, nothing runs, and it can be approved again', async () => {
    const request = await raise(h);
    const a = approvalsInstance(h);
    await a.approve(request.id, ADA, 'restart it');
    h.setAuditFailing((e) => e.eventType === 'approval.decided');
    expect(await a.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'refused', status: 503, code: 'audit_unavailable' });
    expect(await state(request.id)).toBe('pending_elevation');
    expect(h.armCalls).toHaveLength(0);
    expect(await h.module.store.countExecutions(request.id)).toBe(0);
    let record = await recordOf(h, request.id);
    expect(record.decided).toEqual([]);
    expect(record.transitions).toEqual([]);
    expect(record.discarded.map((e) => e.details)).toMatchObject([{ used: false, requestState: 'pending_elevation' }]);

    h.setAuditFailing(false);
    await a.approve(request.id, ADA, 'restart it');
    expect(await a.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'executed', request: { state: 'succeeded' } });
    record = await recordOf(h, request.id);
    expect(record.decided.map((e) => e.approverId)).toEqual([ADA.oid]);
    expect(h.armCalls).toHaveLength(1);
    await a.close();
  });

  it('the approve transition’s entry fails after the decision is on record: nothing runs, the approval stands, and the reconciler ends it', async () => {
    const request = await raise(h);
    const a = approvalsInstance(h);
    await a.approve(request.id, ADA, 'restart it');
    h.setAuditFailing((e) => e.eventType === 'operation.transition' && e.outcome === 'approved');
    expect(await a.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'refused', status: 503, code: 'audit_unavailable' });
    expect(h.armCalls).toHaveLength(0);
    expect(await h.module.store.countExecutions(request.id)).toBe(0);
    // The log says "decided: approve", so the store is not put back to pending under it.
    expect(await state(request.id)).toBe('approved');
    let record = await recordOf(h, request.id);
    expect(record.decided.map((e) => e.approverId)).toEqual([ADA.oid]);
    expect(record.discarded.map((e) => e.details)).toMatchObject([{ used: false, requestState: 'approved' }]);
    // No second decision can follow it.
    expect(await approvalsInstance(h).approve(request.id, GRACE, 'again')).toMatchObject({ kind: 'refused', status: 409 });

    // Not stuck: approved and never started, it is ended (audited) by the reconciler's pass.
    h.setAuditFailing(false);
    expect(await h.module.reconcile({ olderThanMs: 0 })).toMatchObject({ notStarted: 1 });
    expect(await state(request.id)).toBe('cancelled');
    record = await recordOf(h, request.id);
    expect(record.decided).toHaveLength(1);
    expect(record.transitions).toEqual(['cancelled']);
    expect(h.armCalls).toHaveLength(0);
    await a.close();
  });
});

describe('consent', () => {
  it('the approve transition cannot be audited: taken back, nothing runs, and it can be approved again', async () => {
    const request = await raise(h, privileged, { kind: 'chat' });
    const a = approvalsInstance(h);
    h.setAuditFailing((e) => e.eventType === 'operation.transition' && e.outcome === 'approved');
    expect(await a.approve(request.id, ADA, 'ok')).toMatchObject({ kind: 'refused', status: 503, code: 'audit_unavailable' });
    expect(await state(request.id)).toBe('pending_consent');
    expect(h.armCalls).toHaveLength(0);
    expect((await recordOf(h, request.id)).transitions).toEqual([]);

    h.setAuditFailing(false);
    expect(await a.approve(request.id, ADA, 'ok')).toMatchObject({ kind: 'executed', request: { state: 'succeeded' } });
    expect(h.armCalls).toHaveLength(1);
    await a.close();
  });
});
