import sqlite3 from 'sqlite3';

/** Values SQLite can bind. Booleans are stored as 0/1 by the driver. */
export type SqlValue = string | number | bigint | boolean | null | Buffer | Uint8Array;
/** Positional (`?`) or named (`$name`, `:name`, `@name`) parameters. */
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;

export interface RunResult {
  /** Rows changed by the statement: the compare-and-set check (`UPDATE ... WHERE state = ?`). */
  changes: number;
  lastID: number;
}

/** The statement-level operations, shared by a database and a transaction handle. */
export interface Queryable {
  run(sql: string, params?: SqlParams): Promise<RunResult>;
  get<T = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<T | undefined>;
  all<T = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<T[]>;
  /** Runs one or more statements without parameters (schema scripts). */
  exec(sql: string): Promise<void>;
}

/** A statement prepared once (see `SqliteConnection.prepare`). */
export interface PreparedQuery<T> {
  all(params?: SqlParams): Promise<T[]>;
  finalize(): Promise<void>;
}

export type OpenMode = 'readwrite' | 'readonly';

/**
 * One sqlite3 connection with promise methods. Knows nothing about locking: `Database` decides
 * which flow may use which connection when.
 */
export class SqliteConnection implements Queryable {
  private constructor(private readonly raw: sqlite3.Database) {}

  static open(path: string, mode: OpenMode, create: boolean): Promise<SqliteConnection> {
    const flags =
      mode === 'readonly' ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | (create ? sqlite3.OPEN_CREATE : 0);
    return new Promise((resolve, reject) => {
      const raw = new sqlite3.Database(path, flags, (err) => {
        if (err) reject(err);
        else resolve(new SqliteConnection(raw));
      });
    });
  }

  run(sql: string, params: SqlParams = []): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  get<T>(sql: string, params: SqlParams = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.raw.get(sql, params, (err: Error | null, row: T | undefined) => (err ? reject(err) : resolve(row)));
    });
  }

  all<T>(sql: string, params: SqlParams = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.raw.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.exec(sql, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Prepares `sql` once for running many times. `all` costs two thread-pool round
   * trips (prepare, then step), and the second is only queued once the JS thread is free again;
   * a prepared statement queues its run at once, so a query issued ahead really runs while the
   * JS thread works. Runs of one statement queue behind each other; `finalize` when done.
   */
  async prepare<T>(sql: string): Promise<PreparedQuery<T>> {
    const stmt = await new Promise<sqlite3.Statement>((resolve, reject) => {
      const s: sqlite3.Statement = this.raw.prepare(sql, (err: Error | null) => (err ? reject(err) : resolve(s)));
    });
    return {
      all: (params: SqlParams = []) =>
        new Promise<T[]>((resolve, reject) => {
          stmt.all(params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
        }),
      finalize: () => new Promise<void>((resolve) => stmt.finalize(() => resolve())),
    };
  }

  /**
   * Steps a prepared statement one row per call, so memory stays constant whatever the result
   * size. Each step is a round trip to libuv's thread pool (tens of microseconds), so callers
   * that know a key should prefer keyset pages (`keysetPages`).
   */
  async *iterate<T>(sql: string, params: SqlParams = []): AsyncGenerator<T, void, undefined> {
    const stmt = await new Promise<sqlite3.Statement>((resolve, reject) => {
      const s: sqlite3.Statement = this.raw.prepare(sql, params, (err: Error | null) => (err ? reject(err) : resolve(s)));
    });
    try {
      for (;;) {
        const row = await new Promise<T | undefined>((resolve, reject) => {
          stmt.get((err: Error | null, r: T | undefined) => (err ? reject(err) : resolve(r)));
        });
        if (row === undefined) return;
        yield row;
      }
    } finally {
      await new Promise<void>((resolve) => stmt.finalize(() => resolve()));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
  }
}
