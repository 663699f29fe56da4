import type { Queryable, SqlParams } from './sqlite-connection.ts';

export interface PageQuery {
  sql: string;
  params: SqlParams;
}

/**
 * Streams a large ordered result in pages with constant memory: `page(last)` builds the query
 * for the rows after `last` (undefined for the first page), ending in `LIMIT pageSize`. Each
 * page is a separate short statement, so no read snapshot is held between pages and the
 * per-row cost is that of `all` (about a microsecond), not of stepping a statement row by row.
 * The next page is fetched (on SQLite's worker thread) while the consumer works on the current
 * one, so at most two pages are in memory.
 */
export async function* keysetPages<Row>(
  db: Pick<Queryable, 'all'>,
  pageSize: number,
  page: (last: Row | undefined) => PageQuery,
): AsyncGenerator<Row[], void, undefined> {
  const fetch = (last: Row | undefined) => {
    const q = page(last);
    return db.all<Row>(q.sql, q.params);
  };
  let pending: Promise<Row[]> | undefined = fetch(undefined);
  try {
    while (pending) {
      const rows: Row[] = await pending;
      pending = rows.length < pageSize ? undefined : fetch(rows[rows.length - 1]);
      if (rows.length > 0) yield rows;
    }
  } finally {
    // A consumer that stops early leaves a prefetch behind: settle it quietly.
    pending?.catch(() => undefined);
  }
}
