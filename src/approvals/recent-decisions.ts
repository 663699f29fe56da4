/**
 * Requests that waited for a person and no longer do (approved, run, denied, expired, cancelled),
 * most recently changed first: the start page's "recent decisions". Read-only SQL over
 * operation_requests, like the pending list beside it.
 */
import type { OperationRequestStore } from '../operations/operation-request-store.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import type { Queryable } from '../store/database.ts';
import { requestsById } from '../operations/requests-by-id.ts';

const DECIDED = "outcome IN ('pending_consent', 'pending_elevation') AND state NOT IN ('pending_consent', 'pending_elevation')";
export const MAX_RECENT_DECISIONS = 20;

export function createRecentDecisions(db: Pick<Queryable, 'all'>, store: Pick<OperationRequestStore, 'get'>) {
  return {
    /** Most recently updated first, at most `limit` (bounded by MAX_RECENT_DECISIONS). */
    async list(limit = 5): Promise<OperationRequest[]> {
      const rows = await db.all<{ id: string }>(`SELECT id FROM operation_requests WHERE ${DECIDED} ORDER BY updated_at DESC, id DESC LIMIT ?`, [
        Math.max(1, Math.min(limit, MAX_RECENT_DECISIONS)),
      ]);
      return requestsById(store, rows.map((r) => r.id));
    },
  };
}

export type RecentDecisions = ReturnType<typeof createRecentDecisions>;
