/**
 * The requester of each request as resolved at its creation (migrations/009): written once,
 * read by the approval flow. The table's triggers refuse any update or delete.
 */
import type { Database } from '../store/database.ts';
import type { RequesterIdentity, UnresolvedReason } from './requester-identity.ts';

interface RequesterRow {
  status: string;
  object_id: string | null;
  reason: string | null;
}

export interface RequesterStore {
  /** Records the requester of a new request; false if one is already recorded (it never changes). */
  record(requestId: string, identity: RequesterIdentity, at: string): Promise<boolean>;
  /** undefined: none was recorded (the request named no requester, or recording failed). */
  get(requestId: string): Promise<RequesterIdentity | undefined>;
}

export function createRequesterStore(db: Database): RequesterStore {
  return {
    async record(requestId, identity, at) {
      const result = await db.run(
        'INSERT INTO request_requesters (request_id, status, object_id, reason, resolved_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING',
        [requestId, identity.status, identity.status === 'resolved' ? identity.objectId.toLowerCase() : null, identity.status === 'unresolved' ? identity.reason : null, at],
      );
      return result.changes === 1;
    },
    async get(requestId) {
      const row = await db.get<RequesterRow>('SELECT status, object_id, reason FROM request_requesters WHERE request_id = ?', [requestId]);
      if (!row) return undefined;
      if (row.status === 'resolved' && row.object_id) return { status: 'resolved', objectId: row.object_id };
      return { status: 'unresolved', reason: (row.reason ?? 'not_found') as UnresolvedReason };
    },
  };
}
