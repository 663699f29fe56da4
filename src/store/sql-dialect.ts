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
   * text, integer and null values); undefined when it does not (PostgreSQL's json_build_object
   * puts spaces around ':'), and the caller builds the text in JS from the columns.
   */
  canonicalJsonObject(pairs: ReadonlyArray<readonly [key: string, column: string]>): string | undefined;
}

export function sqliteDialect(file: string | undefined): SqlDialect {
  return {
    file,
    canonicalJsonObject: (pairs) => `json_object(${pairs.map(([key, column]) => `'${key}', ${column}`).join(', ')})`,
  };
}

export const POSTGRES_DIALECT: SqlDialect = {
  file: undefined,
  canonicalJsonObject: () => undefined,
};
