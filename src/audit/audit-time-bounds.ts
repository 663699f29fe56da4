/**
 * Turns a time range into a seq range, so a time-filtered page is a walk along the primary key
 * (or along the rowid-ordered tail of another index) instead of a sort of every entry in range.
 *
 * That is only exact while `ts` never decreases along `seq`, which the writer makes true as long
 * as the clock does not step back. So it is checked, not assumed: once over the ts index, then
 * only the rows appended since, and the first step back disables the shortcut for this process;
 * searches then compare `ts` directly, which is exact but slower.
 */
import type { Queryable, SqlDialect } from '../store/database.ts';
import { sqliteHintedTable } from '../store/sql-dialect.ts';

export interface SeqBounds {
  /** Lowest seq whose ts is >= from (undefined: no lower bound). */
  lo?: number;
  /** Highest seq whose ts is < to (undefined: no upper bound). */
  hi?: number;
  /** No entry can match. */
  empty: boolean;
}

export interface TimeBounds {
  /** Seq bounds equivalent to [from, to), or undefined when the log's timestamps are not monotonic. */
  seqBounds(from: string | undefined, to: string | undefined): Promise<SeqBounds | undefined>;
}

const SCAN_PAGE = 20_000;

export function createTimeBounds(db: Pick<Queryable, 'all' | 'get'> & { readonly dialect?: SqlDialect }): TimeBounds {
  const byTs = (db.dialect?.hintedTable ?? sqliteHintedTable)('audit_log', { indexedBy: 'audit_log_by_ts' });
  let checkedThrough = 0;
  let lastTs = '';
  let monotonic = true;
  let extending: Promise<void> | undefined;

  /**
   * The first check reads the ts index (a small covering index) in (ts, seq) order: timestamps
   * never step back along seq exactly when, in that order, every seq is above the one before.
   */
  async function checkAllOnce(): Promise<void> {
    let last: { seq: number; ts: string } | undefined;
    let maxSeq = 0;
    for (;;) {
      const rows = last
        ? await db.all<{ seq: number; ts: string }>(`SELECT seq, ts FROM ${byTs} WHERE (ts, seq) > (?, ?) ORDER BY ts, seq LIMIT ${SCAN_PAGE}`, [last.ts, last.seq])
        : await db.all<{ seq: number; ts: string }>(`SELECT seq, ts FROM ${byTs} ORDER BY ts, seq LIMIT ${SCAN_PAGE}`);
      for (const row of rows) {
        if (row.seq < maxSeq) {
          monotonic = false;
          return;
        }
        maxSeq = row.seq;
        lastTs = row.ts;
      }
      if (rows.length < SCAN_PAGE) break;
      last = rows[rows.length - 1];
    }
    checkedThrough = maxSeq;
  }

  /** Later checks read only the rows appended since, along seq. */
  async function extendOnce(): Promise<void> {
    if (checkedThrough === 0) await checkAllOnce();
    if (!monotonic) return;
    for (;;) {
      const rows = await db.all<{ seq: number; ts: string }>(`SELECT seq, ts FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ${SCAN_PAGE}`, [checkedThrough]);
      for (const row of rows) {
        if (row.ts < lastTs) {
          monotonic = false;
          return;
        }
        lastTs = row.ts;
        checkedThrough = row.seq;
      }
      if (rows.length < SCAN_PAGE) return;
    }
  }

  /** Single flight: concurrent searches share one scan. */
  function extend(): Promise<void> {
    extending ??= extendOnce().finally(() => {
      extending = undefined;
    });
    return extending;
  }

  return {
    async seqBounds(from, to) {
      if (from === undefined && to === undefined) return { empty: false };
      for (let attempt = 0; attempt < 2; attempt++) {
        await extend();
        if (!monotonic) return undefined;
        const bounds: SeqBounds = { empty: false };
        if (from !== undefined) {
          const row = await db.get<{ seq: number }>('SELECT seq FROM audit_log WHERE ts >= ? ORDER BY ts, seq LIMIT 1', [from]);
          if (!row) return { empty: true };
          bounds.lo = row.seq;
        }
        if (to !== undefined) {
          const row = await db.get<{ seq: number }>('SELECT seq FROM audit_log WHERE ts < ? ORDER BY ts DESC, seq DESC LIMIT 1', [to]);
          if (!row) return { empty: true };
          bounds.hi = row.seq;
        }
        if (bounds.lo !== undefined && bounds.hi !== undefined && bounds.lo > bounds.hi) return { empty: true };
        // A row appended after the scan is trusted only once it has been checked too.
        if ((bounds.lo ?? 0) <= checkedThrough && (bounds.hi ?? 0) <= checkedThrough) return bounds;
      }
      return undefined;
    },
  };
}
