/**
 * What SQLite and PostgreSQL do differently that a caller may have to know, stated as what the
 * store can do, never as the engine's name: use cases ask "is there a file I can reopen?", not
 * "am I on SQLite?". Everything else Elevate runs is SQL both engines accept.
 */
export interface SqlDialect {
  /**
   * The database file a read-only connection of one's own can open (a SQLite file); undefined for
   * `:memory:` and for a database server.
   */
  readonly file: string | undefined;
  /**
   * SQL that builds the RFC 8785 (JCS) text of a flat object from `pairs` of key and column, keys
   * in the order given, when the engine builds exactly that text (SQLite's json_object does for
   * text, integer and null values; on PostgreSQL it is concatenated from to_json() of each
   * column, since json_build_object puts spaces around ':'); undefined when the engine cannot,
   * and the caller builds the text in JS from the columns.
   */
  canonicalJsonObject(pairs: ReadonlyArray<readonly [key: string, column: string]>): string | undefined;
  /**
   * `table` for a FROM clause with a planner hint where the engine takes one: SQLite's
   * `INDEXED BY index` / `NOT INDEXED` (where its planner would pick a worse plan). PostgreSQL
   * has no hints and its cost-based planner chooses by itself, so there it is `table` alone.
   */
  hintedTable(table: string, hint: { indexedBy: string } | 'not-indexed'): string;
  /**
   * SQL for the database's own clock plus `?` milliseconds (one placeholder), as the ISO-8601 UTC
   * text the store keeps (`2026-12-06T13:00:00.000Z`, so text comparison is time order). Leases
   * that several instances compare use it: one clock for all of them, whatever theirs say.
   */
  readonly clockPlusMs: string;
  /**
   * An INSERT into `table`'s `columns` of the rows in its one `?` parameter: a JSON array of
   * objects keyed by column name, whose values are JSON strings, integers or null. One parameter
   * for many rows: node-sqlite3 converts each bound value on the event loop (~0.6 µs each), while
   * the engine reads the same values out of JSON on its own thread.
   */
  insertJsonRows(table: string, columns: readonly string[]): string;
  /**
   * A predicate true only when `column` holds text of exactly `length` characters. On SQLite a
   * column's declared type binds nothing once a table is rebuilt without STRICT (a tamperer's
   * copy), so the storage class is checked too; PostgreSQL's column type fixes it.
   */
  textOfLength(column: string, length: number): string;
}

/** SQLite's hints, for callers given only a Queryable (which is then SQLite's, as before issue 16). */
export function sqliteHintedTable(table: string, hint: { indexedBy: string } | 'not-indexed'): string {
  return hint === 'not-indexed' ? `${table} NOT INDEXED` : `${table} INDEXED BY ${hint.indexedBy}`;
}

export function sqliteDialect(file: string | undefined): SqlDialect {
  return {
    file,
    canonicalJsonObject: (pairs) => `json_object(${pairs.map(([key, column]) => `'${key}', ${column}`).join(', ')})`,
    hintedTable: sqliteHintedTable,
    // 'now' is the wall clock, fixed for one statement; %f is seconds with milliseconds.
    clockPlusMs: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('%+.3f seconds', ? / 1000.0))",
    // Each row is parsed once, into JSONB (MATERIALIZED: not once per column reference), and ->>
    // returns a JSON string as TEXT, an integer as INTEGER and null as NULL.
    // https://www.sqlite.org/json1.html#jeach https://www.sqlite.org/json1.html#jptr
    textOfLength: (column, length) => `(typeof(${column}) = 'text' AND length(${column}) = ${length})`,
    insertJsonRows: (table, columns) =>
      `WITH json_rows(v) AS MATERIALIZED (SELECT jsonb(value) FROM json_each(?)) INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.map((c) => `v->>'$.${c}'`).join(', ')} FROM json_rows`,
  };
}

/**
 * PostgreSQL's to_json() of a text value escapes as RFC 8785 requires: `"` and backslash, \b \f
 * \n \r \t, other control characters as \u00xx in lower-case hex, everything else (non-ASCII
 * included) as is; of an integer, its digits. So '{' || '"k":' || to_json(col) || ... || '}' is the
 * canonical text. https://www.rfc-editor.org/rfc/rfc8785#section-3.2.2.2 and PostgreSQL's
 * escape_json (src/backend/utils/adt/json.c). A column it would render otherwise only makes the
 * fast pre-check miss, and the caller judges that row from its columns.
 */
export const POSTGRES_DIALECT: SqlDialect = {
  file: undefined,
  // concat() builds the text in one pass; a chain of || copies it once per operator (about a fifth
  // of the page query's time on 1M entries, bench/postgres.bench.ts). Every argument is non-null.
  canonicalJsonObject: (pairs) =>
    `concat('{', ${pairs.map(([key, column], i) => `'${i === 0 ? '' : ','}"${key}":', COALESCE(to_json(${column})::text, 'null')`).join(', ')}, '}')`,
  hintedTable: (table) => table,
  // clock_timestamp(), not now(): now() is the transaction's start, which a statement queued
  // behind the write lock would see as the past.
  clockPlusMs: `to_char(timezone('UTC', clock_timestamp()) + make_interval(secs => CAST(? AS double precision) / 1000), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  // json_populate_recordset matches the objects' keys to the table's columns by name and converts
  // each value to the column's type. https://www.postgresql.org/docs/current/functions-json.html
  textOfLength: (column, length) => `(length(${column}) = ${length})`,
  insertJsonRows: (table, columns) =>
    `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM json_populate_recordset(NULL::${table}, CAST(? AS json))`,
};
