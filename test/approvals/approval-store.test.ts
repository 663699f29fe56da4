import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApprovalStore, type ApprovalStore } from '../../src/approvals/approval-store.ts';
import type { ReviewOutcome } from '../../src/approvals/approval-types.ts';
import { makeAgent } from '../operations/support/operation-fixtures.ts';
import { createHarness, type Harness } from '../operations/support/operations-harness.ts';
import { RESTART } from '../operations/support/operation-fixtures.ts';

let h: Harness;
let store: ApprovalStore;
let requestId: string;
const ADA = { oid: '0A0A0A0A-0000-4000-8000-00000000000A', upn: 'ada@contoso.example', tid: 't' };
const GRACE = { oid: '0b0b0b0b-0000-4000-8000-00000000000b', upn: 'grace@contoso.example', tid: 't' };

const RECORDED: ReviewOutcome = { outcome: 'recorded', kind: 'elevation', reason: 'r', counted: 1, required: 2 };

/** The approver's `approval.recorded` entry for the request: what makes an approval count. */
const recordedEntry = (approver: typeof ADA, counted: number) => ({
  actor: { kind: 'user' as const, id: approver.oid, name: approver.upn },
  eventType: 'approval.recorded',
  subject: requestId,
  requestId,
  outcome: 'recorded',
  approverId: approver.oid,
  details: { counted, required: 2 },
});

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

  it('records one approval per approver, whatever the case of the object id, listed while the request waits only once on record', async () => {
    expect(await store.recordApproval({ requestId, approver: ADA, kind: 'elevation', reason: 'a', at: '2025-06-01T10:00:00.000Z' })).toBe(true);
    expect(await store.recordApproval({ requestId, approver: { ...ADA, oid: ADA.oid.toLowerCase() }, kind: 'elevation', reason: 'b', at: '2025-06-01T10:00:01.000Z' })).toBe(false);
    expect(await store.approvalsFor(requestId)).toEqual([]);
    // The log keeps the object id as the token gave it (upper case here).
    await h.auditLog.append(recordedEntry(ADA, 1));
    expect(await store.approvalsFor(requestId)).toEqual([{ approverOid: ADA.oid.toLowerCase(), approverUpn: ADA.upn, createdAt: '2025-06-01T10:00:00.000Z' }]);
  });

  it('counts on record approvals only, waits for a claim in flight, and replaces this approver’s stale one', async () => {
    const seen: number[] = [];
    const review = (current: { approvals: unknown[] }): ReviewOutcome => {
      seen.push(current.approvals.length);
      return RECORDED;
    };
    const claim = (approver: typeof ADA, at: string, staleBefore: string) => store.claimApproval({ requestId, approver, at, staleBefore }, review);
    expect(await claim(ADA, '2025-06-01T10:00:00.000Z', '2025-06-01T09:58:00.000Z')).toMatchObject({ status: 'reviewed' });
    // ADA's claim has no entry yet: GRACE's count waits for it, and so would ADA's own second one.
    expect(await claim(GRACE, '2025-06-01T10:00:01.000Z', '2025-06-01T09:58:01.000Z')).toEqual({ status: 'in_flight' });
    expect(await claim(ADA, '2025-06-01T10:00:01.000Z', '2025-06-01T09:58:01.000Z')).toEqual({ status: 'in_flight' });
    // Past the grace, it counts for nothing, and ADA's next claim replaces it.
    expect(await claim(ADA, '2025-06-01T10:05:00.000Z', '2025-06-01T10:03:00.000Z')).toMatchObject({ status: 'reviewed' });
    expect(seen).toEqual([0, 0]);
    expect(await h.db.all('SELECT reason, created_at FROM approval_reviews WHERE request_id = ?', [requestId])).toEqual([{ reason: 'r', created_at: '2025-06-01T10:05:00.000Z' }]);
  });

  it('takes back a claim whose entry failed, but not one whose entry reached the log', async () => {
    const review = () => RECORDED;
    await store.claimApproval({ requestId, approver: ADA, at: '2025-06-01T10:00:00.000Z', staleBefore: '2025-06-01T09:58:00.000Z' }, review);
    await h.auditLog.append(recordedEntry(ADA, 1));
    await store.releaseClaim(requestId, ADA.oid, '2025-06-01T10:00:00.000Z');
    expect(await store.approvalsFor(requestId)).toHaveLength(1);
    await h.db.run('INSERT INTO approval_reviews (request_id, approver_oid, approver_upn, approver_tid, kind, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [requestId, GRACE.oid, GRACE.upn, 't', 'elevation', 'r', '2025-06-01T10:00:02.000Z']);
    await store.releaseClaim(requestId, GRACE.oid, '2025-06-01T10:00:02.000Z');
    expect((await h.db.all<{ approver_oid: string }>('SELECT approver_oid FROM approval_reviews WHERE request_id = ?', [requestId])).map((r) => r.approver_oid)).toEqual([ADA.oid.toLowerCase()]);
  });

  it('refuses rows for a request that does not exist (foreign key)', async () => {
    await expect(store.recordApproval({ requestId: 'nope', approver: ADA, kind: 'consent', reason: 'x', at: '2025-06-01T10:00:00.000Z' })).rejects.toThrow(/foreign key/i);
  });
});
