import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApprovalStore, type ApprovalStore } from '../../src/approvals/approval-store.ts';
import { makeAgent } from '../operations/support/operation-fixtures.ts';
import { createHarness, type Harness } from '../operations/support/operations-harness.ts';
import { RESTART } from '../operations/support/operation-fixtures.ts';

let h: Harness;
let store: ApprovalStore;
let requestId: string;
const ADA = { oid: '0A0A0A0A-0000-4000-8000-00000000000A', upn: 'ada@contoso.example', tid: 't' };

beforeEach(async () => {
  h = await createHarness();
  store = createApprovalStore(h.db);
  const res = await h.module.service.submit(makeAgent(), { method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'j', trigger: { kind: 'incident' }, idempotencyKey: 'k1' });
  if (!res.ok) throw new Error(res.error.message);
  requestId = res.value.id;
});

afterEach(async () => {
  await h.close();
});

const attempt = (x: Partial<Parameters<ApprovalStore['putAttempt']>[0]> = {}) => ({
  requestId,
  approverOid: ADA.oid,
  approverUpn: ADA.upn,
  reason: 'r',
  rounds: 1,
  createdAt: '2025-06-01T10:00:00.000Z',
  expiresAt: '2025-06-01T10:10:00.000Z',
  ...x,
});

describe('approval store', () => {
  it('hands an attempt out exactly once, even to many concurrent callers', async () => {
    await store.putAttempt(attempt());
    const taken = await Promise.all(Array.from({ length: 20 }, () => store.consumeAttempt(requestId, ADA.oid.toLowerCase(), '2025-06-01T10:01:00.000Z')));
    expect(taken.filter((t) => t !== undefined)).toHaveLength(1);
    expect(taken.find((t) => t)?.reason).toBe('r');
  });

  it('does not hand out an expired attempt, and a new attempt replaces a consumed or older one', async () => {
    await store.putAttempt(attempt());
    expect(await store.consumeAttempt(requestId, ADA.oid, '2025-06-01T10:10:00.000Z')).toBeUndefined();
    await store.putAttempt(attempt({ reason: 'first', expiresAt: '2025-06-01T11:00:00.000Z' }));
    await store.putAttempt(attempt({ reason: 'second', rounds: 2, expiresAt: '2025-06-01T11:00:00.000Z' }));
    expect(await store.consumeAttempt(requestId, ADA.oid, '2025-06-01T10:30:00.000Z')).toMatchObject({ reason: 'second', rounds: 2 });
    expect(await store.consumeAttempt(requestId, ADA.oid, '2025-06-01T10:30:00.000Z')).toBeUndefined();
    await store.putAttempt(attempt({ reason: 'third', expiresAt: '2025-06-01T11:00:00.000Z' }));
    expect(await store.consumeAttempt(requestId, ADA.oid, '2025-06-01T10:31:00.000Z')).toMatchObject({ reason: 'third' });
  });

  it('tells whether someone else has a live attempt', async () => {
    await store.putAttempt(attempt({ expiresAt: '2025-06-01T11:00:00.000Z' }));
    expect(await store.othersHaveLiveAttempt(requestId, 'someone-else', '2025-06-01T10:30:00.000Z')).toBe(true);
    expect(await store.othersHaveLiveAttempt(requestId, ADA.oid, '2025-06-01T10:30:00.000Z')).toBe(false);
    expect(await store.othersHaveLiveAttempt(requestId, 'someone-else', '2025-06-01T12:00:00.000Z')).toBe(false);
  });

  it('records one approval per approver, whatever the case of the object id', async () => {
    expect(await store.recordApproval({ requestId, approver: ADA, kind: 'elevation', reason: 'a', at: '2025-06-01T10:00:00.000Z' })).toBe(true);
    expect(await store.recordApproval({ requestId, approver: { ...ADA, oid: ADA.oid.toLowerCase() }, kind: 'elevation', reason: 'b', at: '2025-06-01T10:00:01.000Z' })).toBe(false);
    expect(await store.approvalsFor(requestId)).toEqual([{ approverOid: ADA.oid.toLowerCase(), approverUpn: ADA.upn, createdAt: '2025-06-01T10:00:00.000Z' }]);
  });

  it('refuses rows for a request that does not exist (foreign key)', async () => {
    await expect(store.recordApproval({ requestId: 'nope', approver: ADA, kind: 'consent', reason: 'x', at: '2025-06-01T10:00:00.000Z' })).rejects.toThrow(/foreign key/i);
  });
});
