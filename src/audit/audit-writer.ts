import type { Database, SqlValue } from '../store/database.ts';
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
 * Group commit: appends queue up while a batch is being written and fsynced, and the next batch
 * takes all of them, so N concurrent appends cost far fewer than N fsyncs. A batch commits or
 * fails as a whole; every waiter of a failed batch gets an AuditAppendError.
 *
 * seq and prev_hash must come from the real tail of the table. The writer remembers the tail it
 * last committed; a batch that fits one INSERT statement is written with that tail as a single
 * autocommit statement (atomic, one round trip). If anyone else appended meanwhile (another
 * process, or another AuditLog on the same file), the seq primary key rejects the statement,
 * and the batch is redone the safe way: BEGIN IMMEDIATE, read the tail, insert, COMMIT. Larger
 * batches and the first batch always take the safe way.
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

  private tail: { seq: number; hash: string } | undefined;

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const rows = await this.writeBatch(batch.map((p) => p.entry));
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

  private async writeBatch(entries: PreparedEntry[]): Promise<AuditRow[]> {
    const cached = this.tail;
    this.tail = undefined; // until this batch is known to be committed
    if (cached && entries.length <= ROWS_PER_INSERT) {
      const rows = this.chain(cached, entries);
      try {
        await this.db.run(...insertStatement(rows));
        this.tail = rows[rows.length - 1]!;
        return rows;
      } catch {
        // Most likely a stale tail (someone else appended); a real fault fails again below.
      }
    }
    const rows = await this.db.transaction(async (tx) => {
      const chained = this.chain(await chainTail(tx), entries);
      for (let i = 0; i < chained.length; i += ROWS_PER_INSERT) {
        await tx.run(...insertStatement(chained.slice(i, i + ROWS_PER_INSERT)));
      }
      return chained;
    });
    this.tail = rows[rows.length - 1]!;
    return rows;
  }

  private chain(after: { seq: number; hash: string }, entries: PreparedEntry[]): AuditRow[] {
    let { seq, hash } = after;
    const rows: AuditRow[] = [];
    for (const entry of entries) {
      seq += 1;
      const content = { ...entry, seq, ts: this.hooks.clock().toISOString() };
      const next = computeEntryHash(hash, content);
      rows.push({ ...content, prev_hash: hash, hash: next });
      hash = next;
    }
    return rows;
  }
}

function insertStatement(rows: AuditRow[]): [string, SqlValue[]] {
  const params: SqlValue[] = [];
  for (const r of rows) {
    params.push(r.seq, r.ts, r.actor_kind, r.actor_id, r.actor_name, r.event_type, r.subject, r.agent_id, r.request_id);
    params.push(r.action, r.scope, r.outcome, r.acting_identity, r.approver_id, r.details, r.prev_hash, r.hash);
  }
  return [INSERT_HEAD + new Array(rows.length).fill(ROW_PLACEHOLDERS).join(', '), params];
}
