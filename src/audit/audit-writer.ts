import type { Database, Queryable, SqlValue } from '../store/database.ts';
import { chainTail } from './audit-anchor.ts';
import { AuditAppendError } from './audit-errors.ts';
import { computeEntryHash, type AuditRow } from './audit-hash.ts';
import type { PreparedEntry } from './audit-input.ts';

interface Pending {
  entry: PreparedEntry;
  resolve: (row: AuditRow) => void;
  reject: (err: Error) => void;
}

/** Rows per INSERT statement: 17 parameters each stays far below SQLite's 32,766 limit. */
const ROWS_PER_INSERT = 200;
/** Entries per transaction: bounds the latency the first waiter of a large batch pays. */
const MAX_BATCH = 1000;

const INSERT_HEAD =
  'INSERT INTO audit_log (seq, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, prev_hash, hash) VALUES ';
const ROW_PLACEHOLDERS = `(${new Array(17).fill('?').join(', ')})`;

export interface WriterHooks {
  clock: () => Date;
  onCommitted: (count: number) => void;
  onFailed: (count: number, err: unknown) => void;
}

/**
 * Group commit: appends queue up while a transaction is being written and fsynced, and the next
 * transaction takes all of them, so N concurrent appends cost far fewer than N fsyncs. seq,
 * ts and prev_hash are assigned inside the write transaction (from the table, not a cache), so
 * another process appending to the same file keeps the chain consistent too. A batch commits or
 * fails as a whole; every waiter of a failed batch gets an AuditAppendError.
 */
export class AuditWriter {
  private pending: Pending[] = [];
  private draining = false;

  constructor(
    private readonly db: Database,
    private readonly hooks: WriterHooks,
  ) {}

  write(entry: PreparedEntry): Promise<AuditRow> {
    return new Promise<AuditRow>((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const rows = await this.db.transaction((tx) => this.insertBatch(tx, batch.map((p) => p.entry)));
          this.hooks.onCommitted(rows.length);
          batch.forEach((p, i) => p.resolve(rows[i]!));
        } catch (err) {
          this.hooks.onFailed(batch.length, err);
          const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
          for (const p of batch) p.reject(new AuditAppendError(`audit entry not recorded: ${message}`, { cause: err }));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async insertBatch(tx: Queryable, entries: PreparedEntry[]): Promise<AuditRow[]> {
    let { seq, hash } = await chainTail(tx);
    const rows: AuditRow[] = [];
    for (const entry of entries) {
      seq += 1;
      const content = { ...entry, seq, ts: this.hooks.clock().toISOString() };
      const next = computeEntryHash(hash, content);
      rows.push({ ...content, prev_hash: hash, hash: next });
      hash = next;
    }
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT);
      const params: SqlValue[] = [];
      for (const r of chunk) {
        params.push(r.seq, r.ts, r.actor_kind, r.actor_id, r.actor_name, r.event_type, r.subject, r.agent_id, r.request_id);
        params.push(r.action, r.scope, r.outcome, r.acting_identity, r.approver_id, r.details, r.prev_hash, r.hash);
      }
      await tx.run(INSERT_HEAD + new Array(chunk.length).fill(ROW_PLACEHOLDERS).join(', '), params);
    }
    return rows;
  }
}
