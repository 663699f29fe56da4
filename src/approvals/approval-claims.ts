/**
 * The store half of counting an approval (count-approval.ts is the use case): reading the approvals
 * a request has and adding this one happen in one transaction, so approvals of one request are
 * counted one at a time, on every instance. No row lock is needed for that: every write
 * transaction is already serialised with every other write to the database (SQLite's single
 * writer and BEGIN IMMEDIATE; on PostgreSQL the database-wide advisory lock each write
 * transaction takes first, postgres-database.ts), which is stronger than SELECT ... FOR UPDATE on
 * the request row would be.
 *
 * The audit log has no transaction with the store, so an approval that needs more approvers is
 * written here first, as a claim, and its `approval.recorded` entry appended after, with the count
 * the claim got; the entry, not the row, is what makes it count. A claim without its entry is
 * still being recorded (the next approval waits for it: what it becomes decides that one's count),
 * or was taken back (the entry failed), or its instance stopped first: after a grace
 * (count-approval.ts RECORDING_GRACE_MS) it is treated as never made. Rows are read together with
 * whether their entry exists.
 */
import type { RequestChangeOutbox } from '../operations/request-change-outbox.ts';
import type { OperationRequest, RequestState } from '../operations/operation-types.ts';
import type { Database, Queryable } from '../store/database.ts';
import { APPROVAL_AUDIT_EVENTS } from './approval-audit.ts';
import type { ApprovalKind, Approver, RecordedApproval, ReviewOutcome } from './approval-types.ts';

/**
 * SQL true when the approval row of `table` (a name or alias of approval_reviews) is on the audit
 * record: its approver's `approval.recorded` entry for the request exists. The log keeps object ids
 * as the token gave them; the rows keep them in lower case.
 */
export const onRecord = (table: string) =>
  `EXISTS (SELECT 1 FROM audit_log a WHERE a.request_id = ${table}.request_id AND a.event_type = '${APPROVAL_AUDIT_EVENTS.recorded}' AND lower(a.approver_id) = ${table}.approver_oid)`;

export async function insertApproval(q: Pick<Queryable, 'run'>, x: { requestId: string; approver: Approver; kind: ApprovalKind; reason: string; at: string }): Promise<void> {
  await q.run('INSERT INTO approval_reviews (request_id, approver_oid, approver_upn, approver_tid, kind, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
    x.requestId,
    x.approver.oid.toLowerCase(),
    x.approver.upn,
    x.approver.tid.toLowerCase(),
    x.kind,
    x.reason,
    x.at,
  ]);
}

/** What one counting step found. */
export type ClaimStep =
  | { status: 'gone' }
  /** an approval of the request (another approver's, or this one's from elsewhere) is counted but not on record yet */
  | { status: 'in_flight' }
  /** the review on the current approvals; a `recorded` outcome's row is now written (the claim) */
  | { status: 'reviewed'; outcome: ReviewOutcome };

interface ClaimRow {
  approver_oid: string;
  approver_upn: string;
  created_at: string;
  on_record: number;
}

export function createApprovalClaims(db: Database, outbox: RequestChangeOutbox | undefined) {
  return {
    /**
     * One counting step: the request's state and its approvals on record are given to `review`
     * (pure), and a `recorded` outcome is claimed, all in one transaction. A claim of this
     * approver's that never reached the log and is past the grace is replaced.
     */
    async claimApproval(
      input: { requestId: string; approver: Approver; at: string; staleBefore: string },
      review: (current: { state: RequestState; approvals: RecordedApproval[] }) => ReviewOutcome,
    ): Promise<ClaimStep> {
      const oid = input.approver.oid.toLowerCase();
      return db.transaction(async (tx): Promise<ClaimStep> => {
        const request = await tx.get<{ state: RequestState }>('SELECT state FROM operation_requests WHERE id = ?', [input.requestId]);
        if (!request) return { status: 'gone' };
        const rows = await tx.all<ClaimRow>(
          `SELECT r.approver_oid, r.approver_upn, r.created_at, CASE WHEN ${onRecord('r')} THEN 1 ELSE 0 END AS on_record
           FROM approval_reviews r WHERE r.request_id = ? ORDER BY r.created_at, r.approver_oid`,
          [input.requestId],
        );
        const unrecorded = rows.filter((r) => Number(r.on_record) !== 1);
        if (unrecorded.some((r) => r.created_at > input.staleBefore)) return { status: 'in_flight' };
        if (unrecorded.some((r) => r.approver_oid === oid)) await tx.run('DELETE FROM approval_reviews WHERE request_id = ? AND approver_oid = ?', [input.requestId, oid]);
        const approvals = rows.filter((r) => Number(r.on_record) === 1).map((r) => ({ approverOid: r.approver_oid, approverUpn: r.approver_upn, createdAt: r.created_at }));
        const outcome = review({ state: request.state, approvals });
        if (outcome.outcome === 'recorded') await insertApproval(tx, { requestId: input.requestId, approver: input.approver, kind: outcome.kind, reason: outcome.reason, at: input.at });
        return { status: 'reviewed', outcome };
      });
    },

    /**
     * Takes back the claim made at `at` whose entry could not be appended. A claim whose entry did
     * reach the log after all (the append failed after its commit) stays: the log says it counts.
     */
    async releaseClaim(requestId: string, approverOid: string, at: string): Promise<void> {
      await db.run(`DELETE FROM approval_reviews WHERE request_id = ? AND approver_oid = ? AND created_at = ? AND NOT ${onRecord('approval_reviews')}`, [
        requestId,
        approverOid.toLowerCase(),
        at,
      ]);
    },

    /**
     * Tells the notification outbox of an approval on record that still needs more approvers. Only
     * once it is on record: a claim taken back must not have been announced.
     */
    async announceApproval(change: { request: OperationRequest; approverUpn: string; counted: number; required: number; at: string }): Promise<void> {
      if (!outbox) return;
      await db.transaction((tx) => outbox.record(tx, { kind: 'approval', ...change }));
    },
  };
}

export type ApprovalClaims = ReturnType<typeof createApprovalClaims>;
