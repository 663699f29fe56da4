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
  /** Statements `run` prepared, by SQL text, least recently used first (see `run`). */
  private readonly statements = new Map<string, sqlite3.Statement>();
  /** Preparations in flight, so two runs of a new text prepare it once. */
  private readonly preparing = new Map<string, Promise<sqlite3.Statement>>();
  /** Set by `close`: nothing is prepared and kept after it has taken stock of what to finalize. */
  private closing = false;

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

  /**
   * Runs a write. The statement is prepared once per SQL text and kept (at most
   * KEPT_STATEMENTS, the least recently used finalized first): sqlite3's one-off `run` costs two
   * thread-pool round trips, prepare then step, and the step is only queued once this thread is
   * free again, so under load every write, each audit group's commit included, waited for
   * whatever JavaScript was running (issue 18). A kept statement's run is queued at once.
   *
   * Only statements that return no rows are kept: one that stops on a row (RETURNING) stays
   * active, and with it its implicit transaction, until it is reset. One that runs to its end
   * has committed (SQLite commits an implicit transaction when the statement halts, before any
   * reset: https://www.sqlite.org/lang_transaction.html), and the driver resets it before binding
   * the next run's parameters.
   */
  run(sql: string, params: SqlParams = []): Promise<RunResult> {
    if (this.closing || !keepable(sql)) return this.runOnce(sql, params);
    const kept = this.statements.get(sql);
    if (kept !== undefined) {
      this.statements.delete(sql);
      this.statements.set(sql, kept);
      return runStatement(kept, params);
    }
    return this.prepareKept(sql).then((stmt) => runStatement(stmt, params));
  }

  private runOnce(sql: string, params: SqlParams): Promise<RunResult> {
    return new Promise((resolve, reject) => this.raw.run(sql, params, settleRun(resolve, reject)));
  }

  /**
   * Prepares `sql` and keeps it. Waited for before the first run: runs queued on a statement
   * whose preparation fails are dropped by the driver without a callback.
   */
  private prepareKept(sql: string): Promise<sqlite3.Statement> {
    const pending = this.preparing.get(sql);
    if (pending !== undefined) return pending;
    const prepared = new Promise<sqlite3.Statement>((resolve, reject) => {
      const stmt: sqlite3.Statement = this.raw.prepare(sql, (err: Error | null) => {
        this.preparing.delete(sql);
        if (err) return reject(err);
        this.statements.set(sql, stmt);
        if (this.statements.size > KEPT_STATEMENTS) {
          const [oldest, evicted] = this.statements.entries().next().value as [string, sqlite3.Statement];
          this.statements.delete(oldest);
          // Runs already queued on it finish first: the driver queues the finalize behind them.
          evicted.finalize();
        }
        resolve(stmt);
      });
    });
    this.preparing.set(sql, prepared);
    return prepared;
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

  /** Finalizes the kept statements (SQLite will not close a connection with statements open), then closes. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.preparing.values()]);
    const kept = [...this.statements.values()];
    this.statements.clear();
    await Promise.all(kept.map((stmt) => new Promise<void>((resolve) => stmt.finalize(() => resolve()))));
    return new Promise((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
  }
}

/** Statements `run` keeps prepared per connection: the writes of the service are a few dozen texts. */
export const KEPT_STATEMENTS = 64;

/**
 * A write that returns no rows: INSERT, UPDATE, DELETE or REPLACE, after a WITH clause or not,
 * without RETURNING. Anything else (a query, a pragma, a write that returns rows) may stop on a
 * row, keeping its transaction open until reset, so it is run once and finalized as before.
 */
const KEEPABLE = /^\s*(?:with\b[\s\S]*\)\s*)?(?:insert|update|delete|replace)\b/i;
const RETURNING = /\breturning\b/i;

function keepable(sql: string): boolean {
  return KEEPABLE.test(sql) && !RETURNING.test(sql);
}

function runStatement(stmt: sqlite3.Statement, params: SqlParams): Promise<RunResult> {
  return new Promise((resolve, reject) => stmt.run(params, settleRun(resolve, reject)));
}

/** The driver's run callback (a one-off run or a kept statement's): `this` carries changes and lastID. */
function settleRun(resolve: (r: RunResult) => void, reject: (err: Error) => void) {
  return function (this: sqlite3.RunResult, err: Error | null): void {
    if (err) reject(err);
    else resolve({ changes: this.changes, lastID: this.lastID });
  };
}
