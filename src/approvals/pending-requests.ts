/**
 * The administrators' view of the request table: requests waiting for a decision, newest first,
 * across every agent, and their count for the live counter. Read-only SQL over
 * operation_requests; a request whose deadline has passed is not pending any more even before
 * the sweeper has marked it expired.
 */
import type { OperationRequestStore } from '../operations/operation-request-store.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import type { Queryable } from '../store/database.ts';
import { requestsById } from '../operations/requests-by-id.ts';

const PENDING = "state IN ('pending_consent', 'pending_elevation') AND (expires_at IS NULL OR expires_at > ?)";
export const MAX_PENDING_LISTED = 200;

export function createPendingRequests(db: Pick<Queryable, 'get' | 'all'>, store: Pick<OperationRequestStore, 'get'>) {
  return {
    async count(now: string): Promise<number> {
      return (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM operation_requests WHERE ${PENDING}`, [now]))?.n ?? 0;
    },

    /** Newest first, at most `limit` (bounded by MAX_PENDING_LISTED). */
    async list(now: string, limit = MAX_PENDING_LISTED): Promise<OperationRequest[]> {
      const rows = await db.all<{ id: string }>(`SELECT id FROM operation_requests WHERE ${PENDING} ORDER BY created_at DESC, id DESC LIMIT ?`, [
        now,
        Math.max(1, Math.min(limit, MAX_PENDING_LISTED)),
      ]);
      return requestsById(store, rows.map((r) => r.id));
    },
  };
}

export type PendingRequests = ReturnType<typeof createPendingRequests>;
