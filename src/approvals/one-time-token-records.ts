/**
 * The durable trace of each on-behalf-of exchange (migrations/008, `one_time_tokens`): a row
 * before the exchange is attempted, the token's uti hash and expiry once issued, and the discard.
 * No token is ever stored. A row a process left undiscarded is how the next one knows a token died
 * with it, and writes that token's `token.discarded` entry (reason: process end).
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database.ts';
import type { Approver } from './approval-types.ts';

export interface UndiscardedToken {
  id: string;
  requestId: string;
  approver: Approver;
  utiSha256: string | null;
  expiresAt: string | null;
  /** whether an execution ran with the approver's identity for the request (the token was used) */
  used: boolean;
  /** the request's state and the execution's ARM correlation id, for the entry */
  requestState: string | null;
  armCorrelationId: string | null;
  /** The instance that made the exchange (instance-liveness.ts); null on rows from before migration 018. */
  instanceId: string | null;
}

/** `instanceId`: this process's (instance-liveness.ts), written on each row it begins. */
export function createOneTimeTokenRecords(db: Database, options: { instanceId?: string | undefined } = {}) {
  /** Rows of tokens this process holds now: the reconciler leaves them alone. */
  const live = new Set<string>();
  return {
    /** Before the exchange: returns the row's id. */
    async begin(requestId: string, approver: Approver, at: string): Promise<string> {
      const id = randomUUID();
      await db.run('INSERT INTO one_time_tokens (id, request_id, approver_oid, approver_upn, approver_tid, requested_at, instance_id) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        id,
        requestId,
        approver.oid.toLowerCase(),
        approver.upn,
        approver.tid.toLowerCase(),
        at,
        options.instanceId ?? null,
      ]);
      live.add(id);
      return id;
    },
    async issued(id: string, utiSha256: string | null, expiresAt: string): Promise<void> {
      await db.run('UPDATE one_time_tokens SET uti_sha256 = ?, expires_at = ? WHERE id = ?', [utiSha256, expiresAt, id]);
    },
    async discarded(id: string, at: string, reason: 'after_use' | 'not_issued' | 'process_end'): Promise<void> {
      try {
        await db.run('UPDATE one_time_tokens SET discarded_at = ?, discard_reason = ? WHERE id = ? AND discarded_at IS NULL', [at, reason, id]);
      } finally {
        live.delete(id);
      }
    },
    /**
     * Rows left undiscarded, none this process holds. With several instances some may belong to
     * another that is alive: the reconciler checks `instanceId` before settling one. Left out too:
     * rows whose execution is still leased to an instance, and (`begunBefore`) rows begun since then.
     */
    async orphaned(limit: number, begunBefore?: string): Promise<UndiscardedToken[]> {
      const rows = await db.fresh.all<{
        id: string;
        request_id: string;
        approver_oid: string;
        approver_upn: string;
        approver_tid: string;
        uti_sha256: string | null;
        expires_at: string | null;
        used: number;
        request_state: string | null;
        correlation_id: string | null;
        instance_id: string | null;
        leased: number | boolean;
      }>(
        `SELECT t.id, t.request_id, t.approver_oid, t.approver_upn, t.approver_tid, t.uti_sha256, t.expires_at,
                (e.request_id IS NOT NULL) AS used, r.state AS request_state, e.arm_correlation_id AS correlation_id, t.instance_id,
                (e.lease_until IS NOT NULL AND e.lease_until >= ${db.dialect.clockPlusMs}) AS leased
           FROM one_time_tokens t
           LEFT JOIN executions e ON e.request_id = t.request_id AND lower(e.acting_identity) = t.approver_oid
           LEFT JOIN operation_requests r ON r.id = t.request_id
          WHERE t.discarded_at IS NULL ${begunBefore === undefined ? '' : 'AND t.requested_at < ?'} ORDER BY t.requested_at LIMIT ?`,
        [0, ...(begunBefore === undefined ? [] : [begunBefore]), limit],
      );
      return rows
        // Held here, or its execution still leased to the instance that made it (which may only
        // look gone: its liveness session dropped; execution-lease.ts): a token it may hold now.
        .filter((r) => !live.has(r.id) && !(r.leased === true || r.leased === 1))
        .map((r) => ({
          id: r.id,
          requestId: r.request_id,
          approver: { oid: r.approver_oid, upn: r.approver_upn, tid: r.approver_tid },
          utiSha256: r.uti_sha256,
          expiresAt: r.expires_at,
          used: r.used === 1,
          requestState: r.request_state,
          armCorrelationId: r.correlation_id,
          instanceId: r.instance_id ?? null,
        }));
    },
  };
}

export type OneTimeTokenRecords = ReturnType<typeof createOneTimeTokenRecords>;
