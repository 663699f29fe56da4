import type { Database } from '../store/database.ts';
import { chainTail } from './audit-anchor.ts';
import { AuditAppendError } from './audit-errors.ts';
import { canonicalContent, CONTENT_COLUMNS, hashOfContent, type AuditRow } from './audit-hash.ts';
import type { PreparedEntry } from './audit-input.ts';

interface Pending {
  entry: PreparedEntry;
  resolve: (row: AuditRow) => void;
  reject: (err: Error) => void;
}

/**
 * Entries per group (one commit, one fsync; one INSERT statement whenever the writer knows the
 * tail). Larger groups would save fsyncs under overload but make the first waiter of the group
 * wait for all of them.
 */
const MAX_GROUP = 1024;
/** Default bound on entries accepted and not yet settled (queued or being written). */
export const DEFAULT_MAX_QUEUED = 10_000;

const AUDIT_COLUMNS = [...CONTENT_COLUMNS, 'prev_hash', 'hash'] as const;

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

/** A cut of the queue, written as one commit. */
interface Group {
  pending: Pending[];
  /**
   * The group's rows, chained on `after`; absent when the writer does not know the tail (the
   * first group, or the one after a failure): then they are chained on the tail read in a
   * transaction.
   */
  rows?: AuditRow[];
  /** Each row of `rows` as the JSON object the INSERT reads (SqlDialect.insertJsonRows). */
  json?: string[];
  after?: { seq: number; hash: string };
}

/** Rows chained on a tail, with the JSON object of each for the INSERT. */
interface Chained {
  rows: AuditRow[];
  json: string[];
}

type Outcome = { ok: true; rows: AuditRow[] } | { ok: false; err: unknown };

/**
 * Group commit: appends queue up while a group is being written and fsynced, and the next group
 * takes all of them (up to MAX_GROUP), so N concurrent appends cost far fewer than N fsyncs. A
 * group commits or fails as a whole; every waiter of a failed group gets an AuditAppendError, and
 * no waiter is resolved before the commit that holds its entry has returned (synchronous=FULL:
 * after the fsync).
 *
 * A second group is prepared while one commits (issue 18): appends that arrive during the
 * commit are chained and hashed, in call order, on the in-flight group's last row, one turn of
 * the event loop at a time. That group goes to the store only after the commit before it has
 * returned, and before that commit's callers are answered, so its fsync overlaps their answers
 * and the store never sits idle while the event loop builds the next statement. It never goes
 * earlier: on a pool (PostgreSQL) it could commit first, and a failed commit before it would
 * leave it chained on rows that do not exist. If the commit before it failed, or landed on
 * another tail (someone else appended), its rows are chained again on the real tail, so a
 * failure never spreads to the next group and never leaves a gap.
 *
 * When nothing was queued during a commit, the next cut waits one turn of the event loop
 * (setImmediate) after the callers are answered: they often append again at once (an agent's
 * next step), and cutting at once would commit the first of them alone and the rest one fsync
 * later.
 *
 * seq and prev_hash must come from the real tail of the table. The writer remembers the tail it
 * last committed; a group is written with that tail as one multi-row INSERT in autocommit (atomic,
 * one round trip). If anyone else appended meanwhile (another process, or another AuditLog on the
 * same file), the seq primary key rejects the statement, and the group is redone the safe way:
 * BEGIN IMMEDIATE, read the tail, insert, COMMIT. The first group takes the safe way too. If
 * that tail is the group's own last row, the INSERT had committed and only its answer was lost:
 * the group is not written twice.
 *
 * The rows go to the store as one parameter, a JSON array of one object per row, which the
 * engine reads into the columns (SqlDialect.insertJsonRows): binding 17 values per row cost the
 * event loop ~10 µs per row in node-sqlite3, and the text is mostly built already, as what the
 * row's hash covers (canonicalContent). The engine spends no more in all than it did binding
 * (bench/RESULTS.md, 2026-12-07). Hashing stays on the event loop: chaining costs
 * ~10 µs per entry, and the chain is sequential, so a worker could only take a whole group,
 * paying a structured clone of every row each way; preparing during the commit hides it instead.
 */
export class AuditWriter {
  private readonly queue: Pending[] = [];
  /** Appends waiting for room in the queue, oldest first. */
  private readonly waiting: Pending[] = [];
  /** Entries taken into a group (committing or prepared) and not yet settled; counted against maxQueued. */
  private grouped = 0;
  private draining = false;
  /** The group whose commit is in flight. */
  private committing: Group | undefined;
  /** The group prepared while `committing` commits, chained on its last row. */
  private prepared: Group | undefined;
  private prepareScheduled = false;
  private tail: { seq: number; hash: string } | undefined;
  private readonly maxQueued: number;
  private readonly insertSql: string;

  constructor(
    private readonly db: Database,
    private readonly hooks: WriterHooks,
  ) {
    this.insertSql = db.dialect.insertJsonRows('audit_log', AUDIT_COLUMNS);
    this.maxQueued = hooks.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isSafeInteger(this.maxQueued) || this.maxQueued < 1) throw new RangeError('maxQueued must be a whole number of at least 1');
  }

  write(entry: PreparedEntry): Promise<AuditRow> {
    return new Promise<AuditRow>((resolve, reject) => {
      const pending = { entry, resolve, reject };
      // Once anyone waits, later appends wait behind them: the chain keeps the order of calls.
      if (this.waiting.length > 0 || this.queue.length + this.grouped >= this.maxQueued) this.waiting.push(pending);
      else this.queue.push(pending);
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      } else {
        this.schedulePrepare();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      let group = this.cut();
      let outcome = group && this.commit(group);
      while (group && outcome) {
        const result = await outcome;
        const settled = group;
        // The next group goes to the store before this one's callers are answered (see above).
        group = this.takePrepared();
        outcome = group && this.commit(group);
        this.settle(settled, result);
        if (!group) {
          // Let the callers just settled append again before the next group is cut (see above).
          await new Promise<void>((resolve) => setImmediate(resolve));
          group = this.cut();
          outcome = group && this.commit(group);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Starts the group's commit; the promise settles with its outcome and never rejects. */
  private commit(group: Group): Promise<Outcome> {
    this.committing = group;
    const outcome = this.writeGroup(group).then(
      (rows): Outcome => ({ ok: true, rows }),
      (err: unknown): Outcome => ({ ok: false, err }),
    );
    this.schedulePrepare();
    return outcome;
  }

  private settle(group: Group, outcome: Outcome): void {
    if (this.committing === group) this.committing = undefined;
    this.grouped -= group.pending.length;
    if (outcome.ok) {
      this.hooks.onCommitted(outcome.rows.length);
      group.pending.forEach((p, i) => p.resolve(outcome.rows[i]!));
    } else {
      this.hooks.onFailed(group.pending.length, outcome.err);
      const message = outcome.err instanceof Error ? outcome.err.message.split('\n')[0] : String(outcome.err);
      for (const p of group.pending) p.reject(new AuditAppendError(`audit entry not recorded: ${message}`, { cause: outcome.err }));
    }
    this.admitWaiting();
  }

  /** A group of the queue's first entries, chained on the tail if the writer knows it. */
  private cut(): Group | undefined {
    if (this.queue.length === 0) return undefined;
    const pending = this.queue.splice(0, MAX_GROUP);
    this.grouped += pending.length;
    const group: Group = { pending };
    if (this.tail) {
      group.after = this.tail;
      Object.assign(group, this.chain(this.tail, pending.map((p) => p.entry)));
    }
    return group;
  }

  /** Chains what arrived during the commit onto the prepared group, one turn of the event loop at a time. */
  private schedulePrepare(): void {
    if (this.prepareScheduled || !this.committing || this.queue.length === 0) return;
    this.prepareScheduled = true;
    setImmediate(() => {
      this.prepareScheduled = false;
      this.prepare();
    });
  }

  private prepare(): void {
    const last = this.committing?.rows?.[this.committing.rows.length - 1];
    // A group going the safe way has no rows yet: nothing to chain on; its successor is cut after it.
    if (!last || this.queue.length === 0) return;
    if (this.prepared === undefined) this.prepared = { pending: [], rows: [], json: [], after: last };
    this.extend(this.prepared);
  }

  /** Moves queued entries into the group (up to MAX_GROUP), chained after its last row. */
  private extend(group: Group): void {
    const taken = this.queue.splice(0, MAX_GROUP - group.pending.length);
    if (taken.length === 0) return;
    this.grouped += taken.length;
    group.pending.push(...taken);
    if (group.rows && group.json && group.after) {
      const from = group.rows.length > 0 ? group.rows[group.rows.length - 1]! : group.after;
      const chained = this.chain(from, taken.map((p) => p.entry));
      group.rows.push(...chained.rows);
      group.json.push(...chained.json);
    }
  }

  /**
   * The group prepared during the commit that just settled, or else a fresh cut; chained again
   * on the real tail if the commit failed or landed elsewhere than predicted, topped up with
   * whatever was queued since the last preparation.
   */
  private takePrepared(): Group | undefined {
    const group = this.prepared;
    this.prepared = undefined;
    if (!group) return this.cut();
    const tail = this.tail;
    if (!tail || group.after?.seq !== tail.seq || group.after.hash !== tail.hash) {
      if (tail) {
        group.after = tail;
        Object.assign(group, this.chain(tail, group.pending.map((p) => p.entry)));
      } else {
        delete group.after;
        delete group.rows;
        delete group.json;
      }
    }
    this.extend(group);
    return group;
  }

  private admitWaiting(): void {
    const room = this.maxQueued - this.queue.length - this.grouped;
    if (room > 0 && this.waiting.length > 0) {
      this.queue.push(...this.waiting.splice(0, room));
      this.schedulePrepare();
    }
  }

  private async writeGroup(group: Group): Promise<AuditRow[]> {
    const entries = group.pending.map((p) => p.entry);
    const { rows: chained, json } = group;
    this.tail = undefined; // until this group is known to be committed
    if (chained && json) {
      try {
        await this.db.run(this.insertSql, [jsonArray(json)]);
        this.tail = chained[chained.length - 1]!;
        return chained;
      } catch {
        // Most likely a stale tail (someone else appended); a real fault fails again below.
      }
    }
    const rows = await this.db.transaction(async (tx) => {
      const tail = await chainTail(tx);
      // The fast INSERT may have committed and only its answer been lost (a database server's
      // connection dropping during COMMIT): the tail is then this group's own last row, whose
      // hash covers its content and the chain before it, so no one else could have written it.
      // Appending the group again would record every one of its events twice.
      const predicted = chained?.[chained.length - 1];
      if (chained && predicted && tail.seq === predicted.seq && tail.hash === predicted.hash) return chained;
      const rechained = this.chain(tail, entries);
      await tx.run(this.insertSql, [jsonArray(rechained.json)]);
      return rechained.rows;
    });
    this.tail = rows[rows.length - 1]!;
    return rows;
  }

  private chain(after: { seq: number; hash: string }, entries: PreparedEntry[]): Chained {
    let { seq, hash } = after;
    const rows: AuditRow[] = [];
    const json: string[] = [];
    for (const entry of entries) {
      seq += 1;
      // One object per row: the hash covers only the content columns, so prev_hash and the
      // placeholder hash on the row do not enter it. Every column is named rather than spread
      // from the entry: in Node 20's V8, each property an object made by a leading spread does
      // not already have costs a runtime call to add (~0.7 µs), 3-4 µs per row here
      // (bench/RESULTS.md, 2026-12-07, eighth pass).
      const row: AuditRow = {
        seq,
        ts: this.hooks.clock().toISOString(),
        actor_kind: entry.actor_kind,
        actor_id: entry.actor_id,
        actor_name: entry.actor_name,
        event_type: entry.event_type,
        subject: entry.subject,
        agent_id: entry.agent_id,
        request_id: entry.request_id,
        action: entry.action,
        scope: entry.scope,
        outcome: entry.outcome,
        acting_identity: entry.acting_identity,
        approver_id: entry.approver_id,
        details: entry.details,
        prev_hash: hash,
        hash: '',
      };
      const content = canonicalContent(row);
      row.hash = hashOfContent(hash, content);
      // The content object with the two chain columns added (hex, nothing to escape).
      json.push(`${content.slice(0, -1)},"prev_hash":"${hash}","hash":"${row.hash}"}`);
      rows.push(row);
      hash = row.hash;
    }
    return { rows, json };
  }
}

function jsonArray(json: string[]): string {
  return `[${json.join(',')}]`;
}
