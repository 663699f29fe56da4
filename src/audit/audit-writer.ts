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

const COLUMNS_PER_ROW = 17;
/**
 * SQLite refuses a statement with more than SQLITE_MAX_VARIABLE_NUMBER parameters: 32,766 in the
 * SQLite bundled with node-sqlite3 (since 3.32; https://www.sqlite.org/limits.html, item 9).
 */
const SQLITE_MAX_VARIABLES = 32_766;
/** Rows per INSERT statement: 1,024 × 17 = 17,408 parameters, well inside the limit above. */
const ROWS_PER_INSERT = 1024;
/**
 * Entries per group (one commit, one fsync): one INSERT statement's worth, so a group is a single
 * autocommit statement whenever the writer knows the tail. Larger groups would save fsyncs under
 * overload but make the first waiter of the group wait for all of them.
 */
const MAX_GROUP = ROWS_PER_INSERT;
/** Default bound on entries accepted and not yet settled (queued or being written). */
export const DEFAULT_MAX_QUEUED = 10_000;

if (ROWS_PER_INSERT * COLUMNS_PER_ROW > SQLITE_MAX_VARIABLES) throw new Error('ROWS_PER_INSERT exceeds SQLite’s variable limit');

const INSERT_HEAD =
  'INSERT INTO audit_log (seq, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, prev_hash, hash) VALUES ';
const ROW_PLACEHOLDERS = `(${new Array(COLUMNS_PER_ROW).fill('?').join(', ')})`;

export interface WriterHooks {
  clock: () => Date;
  onCommitted: (count: number) => void;
  onFailed: (count: number, err: unknown) => void;
  /**
   * Most entries accepted and not yet committed or failed (default DEFAULT_MAX_QUEUED). An append
   * beyond it waits, in order, until a group settles and makes room: back-pressure, never a drop.
   * Each waiting caller then holds only its own prepared entry.
   */
  maxQueued?: number;
}

/**
 * Group commit: appends queue up while a group is being written and fsynced, and the next group
 * takes all of them (up to MAX_GROUP), so N concurrent appends cost far fewer than N fsyncs. A
 * group commits or fails as a whole; every waiter of a failed group gets an AuditAppendError, and
 * no waiter is resolved before the commit that holds its entry has returned (synchronous=FULL:
 * after the fsync).
 *
 * Cutting a group waits one turn of the event loop (setImmediate) after the previous commit: the
 * callers it just resolved often append again at once (an agent's next step), and cutting at
 * once would commit the first of them alone and the rest one fsync later.
 *
 * seq and prev_hash must come from the real tail of the table. The writer remembers the tail it
 * last committed; a group is written with that tail as one multi-row INSERT in autocommit (atomic,
 * one round trip). If anyone else appended meanwhile (another process, or another AuditLog on the
 * same file), the seq primary key rejects the statement, and the group is redone the safe way:
 * BEGIN IMMEDIATE, read the tail, insert (in chunks under SQLite's variable limit), COMMIT. The
 * first group takes the safe way too.
 *
 * The statement is not prepared once and reused: the store port has no prepared writes, and
 * compiling a 256-row INSERT costs ~0.5 ms against tens of ms to insert its rows into audit_log's
 * dozen indexes (bench/RESULTS.md, 2026-12-05). Hashing stays on the event loop: chaining costs
 * ~10 µs per entry on a main thread that is busy 12–20% of the append benchmark (the rest is
 * waiting for SQLite), and the chain is sequential, so a worker could only take a whole group,
 * paying a structured clone of every row each way while this thread waits for it anyway.
 */
export class AuditWriter {
  private readonly queue: Pending[] = [];
  /** Appends waiting for room in the queue, oldest first. */
  private readonly waiting: Pending[] = [];
  /** Entries in the group being written (counted against maxQueued until settled). */
  private writing = 0;
  private draining = false;
  private tail: { seq: number; hash: string } | undefined;
  private readonly maxQueued: number;

  constructor(
    private readonly db: Database,
    private readonly hooks: WriterHooks,
  ) {
    this.maxQueued = hooks.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isSafeInteger(this.maxQueued) || this.maxQueued < 1) throw new RangeError('maxQueued must be a whole number of at least 1');
  }

  write(entry: PreparedEntry): Promise<AuditRow> {
    return new Promise<AuditRow>((resolve, reject) => {
      const pending = { entry, resolve, reject };
      // Once anyone waits, later appends wait behind them: the chain keeps the order of calls.
      if (this.waiting.length > 0 || this.queue.length + this.writing >= this.maxQueued) this.waiting.push(pending);
      else this.queue.push(pending);
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP);
        this.writing = group.length;
        try {
          const rows = await this.writeGroup(group.map((p) => p.entry));
          this.hooks.onCommitted(rows.length);
          group.forEach((p, i) => p.resolve(rows[i]!));
        } catch (err) {
          this.hooks.onFailed(group.length, err);
          const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
          for (const p of group) p.reject(new AuditAppendError(`audit entry not recorded: ${message}`, { cause: err }));
        }
        this.writing = 0;
        this.admitWaiting();
        // Let the callers just settled append again before the next group is cut (see above).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  private admitWaiting(): void {
    const room = this.maxQueued - this.queue.length - this.writing;
    if (room > 0 && this.waiting.length > 0) this.queue.push(...this.waiting.splice(0, room));
  }

  private async writeGroup(entries: PreparedEntry[]): Promise<AuditRow[]> {
    const cached = this.tail;
    this.tail = undefined; // until this group is known to be committed
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
      // One object per row: the hash covers only the content columns, so prev_hash and the
      // placeholder hash on the row do not enter it.
      const row: AuditRow = { ...entry, seq, ts: this.hooks.clock().toISOString(), prev_hash: hash, hash: '' };
      row.hash = computeEntryHash(hash, row);
      rows.push(row);
      hash = row.hash;
    }
    return rows;
  }
}

function insertStatement(rows: AuditRow[]): [string, SqlValue[]] {
  const params: SqlValue[] = new Array(rows.length * COLUMNS_PER_ROW);
  let k = 0;
  for (const r of rows) {
    params[k++] = r.seq;
    params[k++] = r.ts;
    params[k++] = r.actor_kind;
    params[k++] = r.actor_id;
    params[k++] = r.actor_name;
    params[k++] = r.event_type;
    params[k++] = r.subject;
    params[k++] = r.agent_id;
    params[k++] = r.request_id;
    params[k++] = r.action;
    params[k++] = r.scope;
    params[k++] = r.outcome;
    params[k++] = r.acting_identity;
    params[k++] = r.approver_id;
    params[k++] = r.details;
    params[k++] = r.prev_hash;
    params[k++] = r.hash;
  }
  return [INSERT_HEAD + new Array(rows.length).fill(ROW_PLACEHOLDERS).join(', '), params];
}
