/**
 * SQLite access for the notification outbox (migrations/012_notification_outbox.sql). Rows and SQL
 * only. A row is claimed for an attempt by a compare-and-set on its attempt count that also moves
 * its next attempt a lease ahead: a second dispatcher (or a restart mid-attempt) finds it taken
 * until the lease runs out, then retries it: delivery is at least once.
 */
import type { Database, Queryable } from '../store/database.ts';
import type { NotificationEvent } from './notification-event.ts';

export type OutboxStatus = 'pending' | 'delivered' | 'dead';

export interface OutboxRow {
  id: string;
  eventId: string;
  eventType: string;
  requestId: string | null;
  requestVersion: number | null;
  route: string;
  channel: string;
  event: NotificationEvent;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
}

interface Row {
  id: string;
  event_id: string;
  event_type: string;
  request_id: string | null;
  request_version: number | null;
  route: string;
  channel: string;
  event_json: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
}

const toRow = (r: Row): OutboxRow => ({
  id: r.id,
  eventId: r.event_id,
  eventType: r.event_type,
  requestId: r.request_id,
  requestVersion: r.request_version,
  route: r.route,
  channel: r.channel,
  event: JSON.parse(r.event_json) as NotificationEvent,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
});

export interface NewOutboxRow {
  id: string;
  event: NotificationEvent;
  requestVersion: number | null;
  route: string;
  channel: string;
  nextAttemptAt: string;
  at: string;
}

/** Inside the caller's transaction. */
export async function insertOutboxRow(tx: Queryable, row: NewOutboxRow): Promise<void> {
  await tx.run(
    `INSERT INTO notification_outbox (id, event_id, event_type, request_id, request_version, route, channel, event_json, status, attempts, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
    [row.id, row.event.id, row.event.type, row.event.request?.id ?? null, row.requestVersion, row.route, row.channel, JSON.stringify(row.event), row.nextAttemptAt, row.at, row.at],
  );
}

/** Inside a revert's transaction: rows not yet attempted for exactly that change. */
export async function retractOutboxRows(tx: Queryable, requestId: string, version: number): Promise<void> {
  await tx.run(`DELETE FROM notification_outbox WHERE request_id = ? AND request_version = ? AND status = 'pending' AND attempts = 0`, [requestId, version]);
}

export function createOutboxStore(db: Database) {
  return {
    async due(now: string, limit: number): Promise<OutboxRow[]> {
      const rows = await db.fresh.all<Row>(`SELECT * FROM notification_outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, [now, limit]);
      return rows.map(toRow);
    },

    /** The earliest pending row's next attempt, to sleep until then. */
    async nextDueAt(): Promise<string | undefined> {
      const row = await db.fresh.get<{ at: string | null }>(`SELECT MIN(next_attempt_at) AS at FROM notification_outbox WHERE status = 'pending'`);
      return row?.at ?? undefined;
    },

    /** Makes the request's held (audited-after) rows due now: its transition is on the audit record. */
    async release(requestId: string, now: string): Promise<number> {
      const r = await db.run(`UPDATE notification_outbox SET next_attempt_at = ? WHERE request_id = ? AND status = 'pending' AND attempts = 0 AND next_attempt_at > ?`, [now, requestId, now]);
      return r.changes;
    },

    /** Takes the row for one attempt (false: another attempt has it). */
    async claim(row: OutboxRow, now: string, leaseUntil: string): Promise<boolean> {
      const r = await db.run(
        `UPDATE notification_outbox SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at <= ?`,
        [leaseUntil, now, row.id, row.attempts, now],
      );
      return r.changes === 1;
    },

    async markDelivered(id: string, now: string): Promise<void> {
      await db.run(`UPDATE notification_outbox SET status = 'delivered', last_error = NULL, updated_at = ? WHERE id = ?`, [now, id]);
    },

    async scheduleRetry(id: string, now: string, nextAttemptAt: string, error: string): Promise<void> {
      await db.run(`UPDATE notification_outbox SET next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`, [nextAttemptAt, error, now, id]);
    },

    async markDead(id: string, now: string, error: string): Promise<void> {
      await db.run(`UPDATE notification_outbox SET status = 'dead', last_error = ?, updated_at = ? WHERE id = ?`, [error, now, id]);
    },

    async get(id: string): Promise<OutboxRow | undefined> {
      const r = await db.fresh.get<Row>('SELECT * FROM notification_outbox WHERE id = ?', [id]);
      return r ? toRow(r) : undefined;
    },

    async list(filter: { status?: OutboxStatus; requestId?: string } = {}): Promise<OutboxRow[]> {
      const terms: string[] = [];
      const params: string[] = [];
      if (filter.status) {
        terms.push('status = ?');
        params.push(filter.status);
      }
      if (filter.requestId) {
        terms.push('request_id = ?');
        params.push(filter.requestId);
      }
      const rows = await db.fresh.all<Row>(`SELECT * FROM notification_outbox ${terms.length ? `WHERE ${terms.join(' AND ')}` : ''} ORDER BY created_at, id`, params);
      return rows.map(toRow);
    },
  };
}

export type OutboxStore = ReturnType<typeof createOutboxStore>;
