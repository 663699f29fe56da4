import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AsyncMutex } from './async-mutex.ts';
import { SqliteConnection, type Queryable, type RunResult, type SqlParams } from './sqlite-connection.ts';
import { sqliteDialect, type SqlDialect } from './sql-dialect.ts';
import { StoreError } from './store-errors.ts';

export type { Queryable, RunResult, SqlParams, SqlValue } from './sqlite-connection.ts';
export type { SqlDialect } from './sql-dialect.ts';

export interface OpenDatabaseOptions {
  /** Open the file read-only: every write fails with SQLITE_READONLY. The file must exist. */
  readonly?: boolean;
  /** Create the file (and its directory) when missing. Default true; ignored when readonly. */
  create?: boolean;
  /** How long a statement waits on another process's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

export interface Database extends Queryable {
  /** The file, or on PostgreSQL the URL without its password: what messages name the database by. */
  readonly path: string;
  readonly readonly: boolean;
  /** The few engine differences a caller may need, as capabilities (sql-dialect.ts). */
  readonly dialect: SqlDialect;
  /**
   * Runs `fn` inside BEGIN IMMEDIATE ... COMMIT while holding the write lock; rolls back and
   * rethrows if `fn` throws. Inside `fn`, use only `tx`: calling the database itself throws
   * (it would otherwise deadlock on the lock or read around the open transaction).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Reads that see every write this process has committed, whatever other flows are reading:
   * they run on the writer connection under the write lock. For every path that writes and then
   * acts on what it wrote (insert a request, then execute it; approve, then run it): the shared
   * reader gives no such promise across concurrent flows (see the class comment).
   */
  readonly fresh: Pick<Queryable, 'get' | 'all'>;
  /** Streams a query's rows with constant memory (one thread-pool round trip per row). */
  iterate<T = Record<string, unknown>>(sql: string, params?: SqlParams): AsyncGenerator<T, void, undefined>;
  /**
   * One write statement that is atomic by itself, need not be ordered with any other write, and
   * whose effect may be lost in a crash: a counter (the shared rate limits). Its rows (RETURNING)
   * are returned. Where the engine allows it, it skips what the other writes pay for: on
   * PostgreSQL the database-wide write lock and the wait for the commit's WAL flush. Never for
   * anything the audit chain, a state transition or an execution depends on.
   */
  counterWrite<T = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<T[]>;
  /**
   * The rows of `select` (one SELECT, no parameters) in PostgreSQL's COPY text format, as one
   * buffer: where the engine can send many rows with next to no work per row (COPY ... TO
   * STDOUT), for a reader that turns columns into bytes itself (audit verification). Absent
   * where there is no such format (SQLite, whose file a reader opens itself instead).
   */
  copyText?(select: string): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * Concurrency design. One sqlite3 connection runs the statements of every async flow in the
 * order they arrive, so a BEGIN from one flow would swallow another flow's statements into its
 * transaction. Hence:
 * - one writer connection; every write (`run`, `exec`) and every `transaction` holds an async
 *   FIFO mutex for its whole duration, so transactions never interleave;
 * - a separate read-only connection for `get`/`all` outside transactions: in WAL mode readers
 *   see the last committed state and never wait for (or see half of) an open write transaction;
 * - `iterate` opens its own read-only connection, because an open statement pins its
 *   connection's read snapshot, and a long export must not make the shared reader stale;
 * - `:memory:` and read-only databases have a single connection, so reads take the mutex too.
 * Snapshots: a connection's read transaction lasts while ANY of its statements is mid-flight, and
 * every statement on that connection shares it. node-sqlite3's `get` steps once and finalizes
 * later (after a trip through the JS thread), so one flow's `get` on the shared reader could pin
 * a snapshot older than a commit another flow had already seen resolve, and that flow's next read
 * missed its own insert (issue 11: a request answered `approved` that never ran). Hence `get` on
 * the reader is run as `all` (stepped to the end, under the connection mutex, in one work item:
 * the snapshot closes before any other statement can share it), and `fresh` reads run on the
 * writer under the lock for the paths that must see their own writes by construction.
 * A transaction uses BEGIN IMMEDIATE so the write lock is taken up front and a concurrent
 * writer in another process waits (busy_timeout) instead of failing mid-transaction.
 */
class SqliteDatabase implements Database {
  private readonly mutex = new AsyncMutex();
  private readonly inTransaction = new AsyncLocalStorage<SqliteDatabase>();
  private closed = false;
  readonly dialect: SqlDialect;

  constructor(
    readonly path: string,
    readonly readonly: boolean,
    private readonly writer: SqliteConnection,
    private readonly reader: SqliteConnection | undefined,
    private readonly busyTimeoutMs: number,
  ) {
    this.dialect = sqliteDialect(path === ':memory:' ? undefined : path);
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.locked(() => this.writer.run(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.locked(() => this.writer.exec(sql));
  }

  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    const reader = this.readerFor('get');
    // `all`, not `get`: a statement left mid-flight would pin the shared snapshot (see above).
    return reader ? (await reader.all<T>(sql, params))[0] : this.locked(() => this.writer.get<T>(sql, params));
  }

  /** SQLite has one writer: a counter is an ordinary write (it is cheap there). */
  counterWrite<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.locked(() => this.writer.all<T>(sql, params));
  }

  readonly fresh: Pick<Queryable, 'get' | 'all'> = {
    get: async <T>(sql: string, params?: SqlParams): Promise<T | undefined> => (await this.locked(() => this.writer.all<T>(sql, params)))[0],
    all: <T>(sql: string, params?: SqlParams): Promise<T[]> => this.locked(() => this.writer.all<T>(sql, params)),
  };

  async all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    const reader = this.readerFor('all');
    return reader ? reader.all<T>(sql, params) : this.locked(() => this.writer.all<T>(sql, params));
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      await this.writer.exec('BEGIN IMMEDIATE');
      const tx = new TransactionHandle(this.writer);
      try {
        const result = await this.inTransaction.run(this, () => fn(tx));
        tx.finish();
        this.leaveTransactionContext();
        await this.writer.exec('COMMIT');
        return result;
      } catch (err) {
        tx.finish();
        this.leaveTransactionContext();
        // A failed COMMIT may already have rolled back (SQLITE_FULL, IOERR); the original error
        // is the one worth reporting.
        await this.writer.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async *iterate<T>(sql: string, params?: SqlParams): AsyncGenerator<T, void, undefined> {
    this.assertUsable('iterate');
    if (!this.reader) {
      yield* this.writer.iterate<T>(sql, params);
      return;
    }
    const own = await openConnection(this.path, 'readonly', false, this.busyTimeoutMs);
    try {
      yield* own.iterate<T>(sql, params);
    } finally {
      await own.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let in-flight writes finish; later calls fail fast.
    await this.mutex.runExclusive(async () => {
      this.closed = true;
    });
    await this.reader?.close();
    await this.writer.close();
  }

  /**
   * On Node 20 an enabled AsyncLocalStorage installs promise hooks for the whole process, which
   * made every promise of every request dearer (issue 18: the agents' decision path awaits dozens
   * per call and never opens a transaction). Transactions run one at a time under the mutex, so
   * the storage is needed only while one is open: disabling it once the callback has settled
   * turns the hooks off again when no other storage is enabled, and the next `run` re-enables it.
   * Outside a transaction `getStore()` is undefined either way, so the nested-call guard in
   * assertUsable is unchanged.
   */
  private leaveTransactionContext(): void {
    this.inTransaction.disable();
  }

  private readerFor(op: string): SqliteConnection | undefined {
    this.assertUsable(op);
    return this.reader;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    try {
      this.assertUsable('write');
    } catch (err) {
      return Promise.reject(err);
    }
    return this.mutex.runExclusive(() => {
      if (this.closed) throw new StoreError(`database ${this.path} is closed`);
      return fn();
    });
  }

  private assertUsable(op: string): void {
    if (this.closed) throw new StoreError(`database ${this.path} is closed`);
    if (this.inTransaction.getStore() === this) {
      throw new StoreError(`database ${op} called inside a transaction: use the transaction handle`);
    }
  }
}

/** The handle a transaction callback receives; it stops working once the transaction ends. */
class TransactionHandle implements Queryable {
  private done = false;
  constructor(private readonly conn: SqliteConnection) {}

  finish(): void {
    this.done = true;
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.check() ?? this.conn.run(sql, params);
  }
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return this.check() ?? this.conn.get<T>(sql, params);
  }
  all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.check() ?? this.conn.all<T>(sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.check() ?? this.conn.exec(sql);
  }

  private check(): Promise<never> | undefined {
    return this.done ? Promise.reject(new StoreError('transaction handle used after its transaction ended')) : undefined;
  }
}

async function openConnection(path: string, mode: 'readwrite' | 'readonly', create: boolean, busyTimeoutMs: number) {
  const conn = await SqliteConnection.open(path, mode, create);
  try {
    // synchronous=FULL: a commit returns only after the WAL is fsynced, so an audit entry
    // whose append resolved survives a power cut.
    await conn.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;`);
    if (mode === 'readonly') await conn.exec('PRAGMA query_only = ON;');
    return conn;
  } catch (err) {
    await conn.close().catch(() => undefined);
    throw err;
  }
}

/**
 * A read-only connection of the caller's own, outside any `Database` and its lock: for a long
 * scan that keeps a connection busy on purpose (chain verification reads a page ahead while it
 * hashes the last one, which a lock-guarded connection would defer until the hashing is done).
 * The caller closes it.
 */
export function openReadConnection(path: string, busyTimeoutMs = 5000): Promise<SqliteConnection> {
  return openConnection(path, 'readonly', false, busyTimeoutMs);
}

/**
 * The writer's page cache, in KiB. SQLite's default (2 MiB) is smaller than the index pages a
 * burst of audit appends touches: audit_log has a dozen indexes, several on scattered keys
 * (scope, lower(scope), subject), so each group of rows dirties a leaf page per row in each of
 * those, and with 2 MiB most of them are read back from the file first. 64 MiB cut the writer's
 * reads per appended row from ~9 to ~1 (strace, bench/RESULTS.md 2026-12-05); it is an upper
 * bound that fills only as pages are used. https://www.sqlite.org/pragma.html#pragma_cache_size
 */
const WRITER_CACHE_KIB = 64 * 1024;
/**
 * WAL frames before a commit also checkpoints them into the database file (SQLite's default:
 * 1,000). The same hot index pages are rewritten by commit after commit; checkpointing every
 * 10,000 frames (~40 MiB of WAL) copies each of them once per checkpoint instead of once per
 * 1,000 frames, which cut the writes per appended row by ~40%. The price: the commit that runs a
 * checkpoint takes longer, less often. https://www.sqlite.org/pragma.html#pragma_wal_autocheckpoint
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;

export async function openDatabase(path: string, opts: OpenDatabaseOptions = {}): Promise<Database> {
  const readonly = opts.readonly ?? false;
  const create = !readonly && (opts.create ?? true);
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new StoreError(`busyTimeoutMs must be a whole number, got ${busyTimeoutMs}`);
  const memory = path === ':memory:';
  if (!memory) {
    if (!create && !existsSync(path)) throw new StoreError(`database ${path} does not exist`);
    if (create) mkdirSync(dirname(path), { recursive: true });
  }

  const writer = await openConnection(path, readonly ? 'readonly' : 'readwrite', create, busyTimeoutMs);
  let reader: SqliteConnection | undefined;
  try {
    if (!readonly && !memory) {
      const row = await writer.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
      if (row?.journal_mode !== 'wal') {
        throw new StoreError(`database ${path} could not switch to WAL mode (got ${row?.journal_mode ?? 'nothing'})`);
      }
      await writer.exec(`PRAGMA cache_size = -${WRITER_CACHE_KIB}; PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES};`);
      reader = await openConnection(path, 'readonly', false, busyTimeoutMs);
    }
  } catch (err) {
    await writer.close().catch(() => undefined);
    throw err;
  }
  return new SqliteDatabase(path, readonly, writer, reader, busyTimeoutMs);
}
