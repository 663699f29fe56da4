/**
 * Searches over the audit log for the pages, the API and exports: keyset pages in either
 * direction and constant-memory streams, over the indexed filter columns. Every search term is
 * a bound parameter; column names come from fixed tables, never from input.
 */
import type { Queryable, SqlDialect, SqlValue } from '../store/database.ts';
import { sqliteHintedTable } from '../store/sql-dialect.ts';
import { EXECUTION_EVENT_TYPES, GOVERNANCE_IDENTITY, MANAGED_IDENTITY_PREFIX } from './acting-identity.ts';
import type { AuditRow } from './audit-hash.ts';
import { ROW_COLUMNS, rowToEntry } from './audit-rows.ts';
import { decodeCursor, encodeCursor, AuditCursorError, type AuditOrder } from './audit-cursor.ts';
import { EXACT_SEARCH_FIELDS, normaliseScopePrefix, type AuditSearch } from './audit-search.ts';
import { createTimeBounds, type TimeBounds } from './audit-time-bounds.ts';
import type { AuditEntry } from './audit-types.ts';

export interface AuditPageOptions {
  /** 1..MAX_PAGE_LIMIT, default 50. */
  limit?: number;
  /** Newest first (default) or oldest first. */
  order?: AuditOrder;
  /** From the previous page's `nextCursor`; must have been issued for the same order. */
  cursor?: string;
}

export interface AuditSearchPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for the next page; null when this was the last one. */
  nextCursor: string | null;
}

export interface AuditStreamOptions {
  order?: AuditOrder;
  /** Entries per query (default 1000); memory use is bounded by one page. */
  pageSize?: number;
}

export interface AuditQuery {
  page(search: AuditSearch, options?: AuditPageOptions): Promise<AuditSearchPage>;
  /**
   * Every matching entry in page order, one query per page, with no snapshot held between
   * pages. Entries appended after the stream starts are left out, so an export is the log as
   * it stood when it began.
   */
  stream(search: AuditSearch, options?: AuditStreamOptions): AsyncGenerator<AuditEntry, void, undefined>;
  entry(seq: number): Promise<AuditEntry | undefined>;
  /** Every entry of one request, oldest first (at most `limit`, default 1000). */
  timeline(requestId: string, limit?: number): Promise<{ entries: AuditEntry[]; truncated: boolean }>;
}

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 500;
const STREAM_PAGE = 1000;

export class AuditQueryError extends Error {
  override name = 'AuditQueryError';
}

interface Where {
  terms: string[];
  params: SqlValue[];
  empty: boolean;
  /**
   * No equality filter, but a range over an index (scope prefix, or timestamps when they are
   * not monotonic): that index returns rows out of seq order, so SQLite would sort every match.
   */
  rangeOnly: boolean;
}

/** Seqs a page walks along the primary key before falling back to the range index. */
const DEFAULT_WALK_WINDOW = 10_000;

/** WHERE terms for a search; time ranges become seq ranges when the log allows (audit-time-bounds.ts). */
async function whereFor(search: AuditSearch, time: TimeBounds): Promise<Where> {
  const terms: string[] = [];
  const params: SqlValue[] = [];
  let exact = false;
  let range = search.scopePrefix !== undefined;
  for (const [field, column] of EXACT_SEARCH_FIELDS) {
    const value = search[field];
    if (value === undefined) continue;
    exact = true;
    if (field === 'actingIdentity' && value.startsWith(MANAGED_IDENTITY_PREFIX)) {
      // The recorded value, or an entry from before 011 that recorded the agent's UAMI principal
      // id: acting-identity.ts's reading of it, in SQL (both halves use an index).
      terms.push(
        `(acting_identity = ? OR (agent_id = ? AND event_type IN (${EXECUTION_EVENT_TYPES.map(() => '?').join(', ')}) AND acting_identity IS NOT NULL` +
          ` AND acting_identity <> '' AND substr(acting_identity, 1, ?) <> ? AND acting_identity <> ? AND (actor_kind = 'agent' OR (actor_kind = 'user' AND acting_identity <> actor_id))))`,
      );
      params.push(value, value.slice(MANAGED_IDENTITY_PREFIX.length), ...EXECUTION_EVENT_TYPES, MANAGED_IDENTITY_PREFIX.length, MANAGED_IDENTITY_PREFIX, GOVERNANCE_IDENTITY);
      continue;
    }
    terms.push(`${column} = ?`);
    params.push(value);
  }
  if (search.incidentId !== undefined) {
    exact = true;
    // The incident's own entries by subject, its requests' entries by request id (both indexed).
    terms.push("(subject = ? OR request_id IN (SELECT id FROM operation_requests WHERE trigger_kind = 'incident' AND trigger_ref = ?))");
    params.push(search.incidentId, search.incidentId);
  }
  if (search.scopePrefix !== undefined) {
    const p = normaliseScopePrefix(search.scopePrefix);
    // One range over the lower(scope) index ('0' is the character after '/'), then the exact
    // segment check: the prefix itself, or the prefix followed by '/'.
    terms.push("scope IS NOT NULL AND lower(scope) >= ? AND lower(scope) < ? AND (lower(scope) = ? OR substr(lower(scope), ?, 1) = '/')");
    params.push(p, `${p}0`, p, p.length + 1);
  }
  if (search.from !== undefined || search.to !== undefined) {
    const bounds = await time.seqBounds(search.from, search.to);
    if (bounds?.empty) return { terms, params, empty: true, rangeOnly: false };
    if (bounds) {
      if (bounds.lo !== undefined) {
        terms.push('seq >= ?');
        params.push(bounds.lo);
      }
      if (bounds.hi !== undefined) {
        terms.push('seq <= ?');
        params.push(bounds.hi);
      }
    } else {
      range = true;
      if (search.from !== undefined) {
        terms.push('ts >= ?');
        params.push(search.from);
      }
      if (search.to !== undefined) {
        terms.push('ts < ?');
        params.push(search.to);
      }
    }
  }
  return { terms, params, empty: false, rangeOnly: range && !exact };
}

function pageLimit(limit: number | undefined): number {
  const n = limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PAGE_LIMIT) throw new AuditQueryError(`limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}`);
  return n;
}

function orderOf(order: unknown): AuditOrder {
  if (order === undefined) return 'desc';
  if (order !== 'desc' && order !== 'asc') throw new AuditQueryError('order must be desc or asc');
  return order;
}

/**
 * The page query. `walk` forbids indexes (the INTEGER PRIMARY KEY still serves seq ranges), so
 * SQLite walks the table in seq order and stops at `limit` matches; `windowEdge` bounds that
 * walk (inclusive) to the seqs before it reaches past the edge.
 */
function select(
  hinted: SqlDialect['hintedTable'],
  where: Where,
  order: AuditOrder,
  after: number | undefined,
  limit: number,
  mode: { walk?: boolean; windowEdge?: number } = {},
): { sql: string; params: SqlValue[] } {
  const terms = [...where.terms];
  const params = [...where.params];
  if (after !== undefined) {
    terms.push(order === 'desc' ? 'seq < ?' : 'seq > ?');
    params.push(after);
  }
  if (mode.windowEdge !== undefined) {
    terms.push(order === 'desc' ? 'seq >= ?' : 'seq <= ?');
    params.push(mode.windowEdge);
  }
  const clause = terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '';
  const from = mode.walk || mode.windowEdge !== undefined ? hinted('audit_log', 'not-indexed') : 'audit_log';
  return { sql: `SELECT ${ROW_COLUMNS} FROM ${from} ${clause} ORDER BY seq ${order === 'desc' ? 'DESC' : 'ASC'} LIMIT ${limit}`, params };
}

export function createAuditQuery(db: Pick<Queryable, 'all' | 'get'> & { readonly dialect?: SqlDialect }, options: { walkWindow?: number } = {}): AuditQuery {
  const time = createTimeBounds(db);
  const hinted = db.dialect?.hintedTable ?? sqliteHintedTable;
  const window = options.walkWindow ?? DEFAULT_WALK_WINDOW;

  return {
    async page(search, options = {}) {
      const limit = pageLimit(options.limit);
      const order = orderOf(options.order);
      let after: number | undefined;
      if (options.cursor !== undefined) {
        const cursor = decodeCursor(options.cursor);
        if (cursor.order !== order) throw new AuditCursorError(`cursor was issued for order=${cursor.order}`);
        after = cursor.seq;
      }
      const where = await whereFor(search, time);
      if (where.empty) return { entries: [], nextCursor: null };
      // One row more than asked says whether another page exists, without a COUNT.
      let rows: AuditRow[] | undefined;
      if (where.rangeOnly) {
        // A broad range is fastest walked along seq, a narrow one through its index (whose
        // matches SQLite must sort): walk a window first, use the index if it came up short.
        const start = after ?? (order === 'desc' ? ((await db.get<{ seq: number | null }>('SELECT max(seq) AS seq FROM audit_log'))?.seq ?? 0) + 1 : 0);
        const windowEdge = order === 'desc' ? start - window : start + window;
        const q = select(hinted, where, order, after, limit + 1, { windowEdge });
        const walked = await db.all<AuditRow>(q.sql, q.params);
        if (walked.length > limit) rows = walked;
      }
      if (!rows) {
        const q = select(hinted, where, order, after, limit + 1);
        rows = await db.all<AuditRow>(q.sql, q.params);
      }
      const entries = rows.slice(0, limit).map(rowToEntry);
      const last = entries[entries.length - 1];
      return { entries, nextCursor: rows.length > limit && last ? encodeCursor({ order, seq: last.seq }) : null };
    },

    async *stream(search, options = {}) {
      const order = orderOf(options.order);
      const size = options.pageSize ?? STREAM_PAGE;
      if (!Number.isSafeInteger(size) || size < 1 || size > 10_000) throw new AuditQueryError('pageSize must be a whole number from 1 to 10000');
      const where = await whereFor(search, time);
      if (where.empty) return;
      // Fix the end of the stream now, so a busy log cannot keep an export running forever.
      const head = (await db.get<{ seq: number | null }>('SELECT max(seq) AS seq FROM audit_log'))?.seq ?? 0;
      if (order === 'asc') {
        where.terms.push('seq <= ?');
        where.params.push(head);
      }
      let after: number | undefined = order === 'desc' ? head + 1 : undefined;
      for (;;) {
        // Without an equality filter, walking the table in seq order is linear; a range index
        // would make SQLite sort every remaining match again for each page.
        const q = select(hinted, where, order, after, size, { walk: where.rangeOnly });
        const rows = await db.all<AuditRow>(q.sql, q.params);
        for (const row of rows) yield rowToEntry(row);
        if (rows.length < size) return;
        after = rows[rows.length - 1]!.seq;
      }
    },

    async entry(seq) {
      if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
      const row = await db.get<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq = ?`, [seq]);
      return row && rowToEntry(row);
    },

    async timeline(requestId, limit = 1000) {
      const rows = await db.all<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log WHERE request_id = ? ORDER BY seq LIMIT ?`, [requestId, limit + 1]);
      return { entries: rows.slice(0, limit).map(rowToEntry), truncated: rows.length > limit };
    },
  };
}
