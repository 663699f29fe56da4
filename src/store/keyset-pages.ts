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
 */
export async function* keysetPages<Row>(
  db: Pick<Queryable, 'all'>,
  pageSize: number,
  page: (last: Row | undefined) => PageQuery,
): AsyncGenerator<Row[], void, undefined> {
  let last: Row | undefined;
  for (;;) {
    const q = page(last);
    const rows = await db.all<Row>(q.sql, q.params);
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    last = rows[rows.length - 1];
  }
}
