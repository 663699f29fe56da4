/**
 * SQLite access for approvals (migrations/007_approvals.sql): the approvals counted per request,
 * and elevation attempts waiting for the approver's fresh sign-in. Rows and SQL only; what they
 * mean is decided in review-request.ts and the use cases. Counting an approval that needs more
 * approvers is approval-claims.ts.
 */
import type { OperationRequest } from '../operations/operation-types.ts';
import type { RequestChangeOutbox } from '../operations/request-change-outbox.ts';
import type { Database } from '../store/database.ts';
import { isUniqueViolation } from '../store/unique-violation.ts';
import { createApprovalClaims, insertApproval, onRecord } from './approval-claims.ts';
import type { ApprovalKind, Approver, RecordedApproval } from './approval-types.ts';

export interface ElevationAttempt {
  requestId: string;
  approverOid: string;
  approverUpn: string;
  reason: string;
  rounds: number;
  createdAt: string;
  expiresAt: string;
}

interface AttemptRow {
  request_id: string;
  approver_oid: string;
  approver_upn: string;
  reason: string;
  rounds: number;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
}

const toAttempt = (r: AttemptRow): ElevationAttempt => ({
  requestId: r.request_id,
  approverOid: r.approver_oid,
  approverUpn: r.approver_upn,
  reason: r.reason,
  rounds: r.rounds,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

export function createApprovalStore(db: Database, options: { outbox?: RequestChangeOutbox | undefined } = {}) {
  const outbox = options.outbox;
  return {
    ...createApprovalClaims(db, outbox),

    async approvalsFor(requestId: string): Promise<RecordedApproval[]> {
      // Fresh: the count of approvals decides whether this one completes the request. While the
      // request waits, an approval is listed only once it is on the audit record (a claim still
      // being recorded, or one whose instance stopped first, is none: approval-claims.ts). Once
      // it no longer waits, its rows are listed as they are: the completing approval's row is on
      // record by other entries, and retention may have archived an old request's entries.
      const rows = await db.fresh.all<{ approver_oid: string; approver_upn: string; created_at: string }>(
        `SELECT r.approver_oid, r.approver_upn, r.created_at FROM approval_reviews r JOIN operation_requests o ON o.id = r.request_id
         WHERE r.request_id = ? AND (o.state NOT IN ('pending_consent', 'pending_elevation') OR ${onRecord('r')})
         ORDER BY r.created_at, r.approver_oid`,
        [requestId],
      );
      return rows.map((r) => ({ approverOid: r.approver_oid, approverUpn: r.approver_upn, createdAt: r.created_at }));
    },

    /**
     * Writes the row of the approval that completed the request, once its decision is on record
     * (approvals that need more approvers are counted by claimApproval instead). False when this
     * approver already has an approval on the request. With `progress` the outbox hears of the
     * approval in the same transaction (the approval that completes a request is reported by its
     * state change, so the use cases no longer pass it).
     */
    async recordApproval(input: {
      requestId: string;
      approver: Approver;
      kind: ApprovalKind;
      reason: string;
      at: string;
      progress?: { request: OperationRequest; counted: number; required: number };
    }): Promise<boolean> {
      const progress = outbox ? input.progress : undefined;
      const insert = (q: Pick<Database, 'run'>) => insertApproval(q, input);
      try {
        if (progress && outbox) {
          await db.transaction(async (tx) => {
            await insert(tx);
            await outbox.record(tx, { kind: 'approval', request: progress.request, approverUpn: input.approver.upn, counted: progress.counted, required: progress.required, at: input.at });
          });
        } else {
          await insert(db);
        }
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    /**
     * Starts (or restarts) this approver's elevation attempt on the request: an earlier one that
     * was not consumed is replaced, so only the newest sign-in can continue it.
     */
    async putAttempt(a: ElevationAttempt): Promise<void> {
      await db.run(
        `INSERT INTO elevation_attempts (request_id, approver_oid, approver_upn, reason, rounds, created_at, expires_at, consumed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (request_id, approver_oid) DO UPDATE SET
           approver_upn = excluded.approver_upn, reason = excluded.reason, rounds = excluded.rounds,
           created_at = excluded.created_at, expires_at = excluded.expires_at, consumed_at = NULL`,
        [a.requestId, a.approverOid.toLowerCase(), a.approverUpn, a.reason, a.rounds, a.createdAt, a.expiresAt],
      );
    },

    /** Whether someone other than `oid` has a live attempt on the request (who a callback was probably meant for). */
    async othersHaveLiveAttempt(requestId: string, oid: string, now: string): Promise<boolean> {
      const row = await db.fresh.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM elevation_attempts WHERE request_id = ? AND approver_oid <> ? AND consumed_at IS NULL AND expires_at > ?',
        [requestId, oid.toLowerCase(), now],
      );
      return (row?.n ?? 0) > 0;
    },

    /** This approver's live (unconsumed, unexpired) attempt on the request, if any. */
    async liveAttemptOf(requestId: string, approverOid: string, now: string): Promise<ElevationAttempt | undefined> {
      const row = await db.fresh.get<AttemptRow>(
        'SELECT * FROM elevation_attempts WHERE request_id = ? AND approver_oid = ? AND consumed_at IS NULL AND expires_at > ?',
        [requestId, approverOid.toLowerCase(), now],
      );
      return row ? toAttempt(row) : undefined;
    },

    /**
     * Takes the approver's live attempt on the request, exactly once: the first caller gets it,
     * any later (or concurrent) caller gets undefined. Expired attempts are not handed out.
     */
    async consumeAttempt(requestId: string, approverOid: string, now: string): Promise<ElevationAttempt | undefined> {
      return db.transaction(async (tx) => {
        const row = await tx.get<AttemptRow>(
          'SELECT * FROM elevation_attempts WHERE request_id = ? AND approver_oid = ? AND consumed_at IS NULL AND expires_at > ?',
          [requestId, approverOid.toLowerCase(), now],
        );
        if (!row) return undefined;
        const taken = await tx.run('UPDATE elevation_attempts SET consumed_at = ? WHERE request_id = ? AND approver_oid = ? AND consumed_at IS NULL', [
          now,
          row.request_id,
          row.approver_oid,
        ]);
        return taken.changes === 1 ? toAttempt(row) : undefined;
      });
    },
  };
}

export type ApprovalStore = ReturnType<typeof createApprovalStore>;
