import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { AsyncMutex } from './async-mutex.ts';
import type { Database, Queryable, RunResult, SqlParams } from './database.ts';
import { toPostgresStatement } from './postgres-placeholders.ts';
import { counterPoolConfig, DEFAULT_BUSY_TIMEOUT_MS, poolConfig, type OpenPostgresOptions } from './postgres-pool-config.ts';
import { parsePostgresUrl, type PostgresConnectionSettings } from './postgres-url.ts';
import { POSTGRES_DIALECT } from './sql-dialect.ts';
import { StoreError } from './store-errors.ts';

export type { OpenPostgresOptions } from './postgres-pool-config.ts';

/**
 * The two-key advisory lock every write transaction holds (pg_advisory_xact_lock(int4, int4); the
 * single-bigint key space is separate, left to other applications). The first key is Elevate's
 * namespace, 'Elev' in ASCII; second keys: 1 the migration runner's, 2 this one's, others free
 * for singleton jobs.
 */
export const WRITE_LOCK_KEY = [0x456c6576, 2] as const;

/**
 * One round trip: BEGIN, a lock_timeout for this transaction (SQLite's busy_timeout: a writer stuck
 * elsewhere makes writes fail with SQLSTATE 55P03 instead of queueing forever), then the lock.
 */
function beginWrite(busyTimeoutMs: number): string {
  return `BEGIN READ WRITE; SET LOCAL lock_timeout = ${busyTimeoutMs}; SELECT pg_advisory_xact_lock(${WRITE_LOCK_KEY[0]}, ${WRITE_LOCK_KEY[1]})`;
}

const ITERATE_BATCH_ROWS = 200;

/**
 * Concurrency design, mirroring the SQLite adapter's promise so the use cases need not know which
 * one they run on: writes never interleave. SQLite gets that from its single writer and
 * BEGIN IMMEDIATE; here every write (`run`, `exec`, `transaction`) runs in a transaction that first
 * takes one database-wide advisory lock, so writers from every Elevate instance on the database
 * queue behind each other, and a transaction's reads cannot be overtaken by a write from anywhere
 * before it commits. Within this process an async FIFO mutex queues writers before they take a
 * pooled connection, so waiting writers hold one connection, not the whole pool. A write that
 * waits longer than `busyTimeoutMs` for another instance fails (lock_timeout), as on SQLite.
 * - Plain `get`/`all` (and `fresh`) run on any pooled connection at READ COMMITTED: each statement
 *   sees everything committed before it started, including this process's own writes once they
 *   resolved, which is what `fresh` promises; they never wait for a writer. Connections are
 *   read-only by default (only the write path begins READ WRITE), so a write sent through them
 *   fails instead of slipping past the lock.
 * - `run` outside a transaction costs three round trips (BEGIN+lock, statement, COMMIT) where
 *   SQLite's costs one; a later slice may let compare-and-set paths skip the lock.
 * - `iterate` reads through a server-side cursor (DECLARE/FETCH) in a read-only transaction of
 *   its own connection: constant memory, one consistent snapshot.
 * - `exec` scripts run as one simple-protocol query inside the write transaction; they must not
 *   contain their own BEGIN/COMMIT.
 * - `run`/`get`/`all` use the extended protocol even without parameters, so one call runs exactly
 *   one statement (a second one is an error, never executed).
 * `RunResult.lastID` has no PostgreSQL equivalent (no rowid): reading it throws; insert with
 * `RETURNING id` through `get` instead. No Elevate use case reads it.
 */
class PostgresDatabase implements Database {
  readonly readonly = false;
  readonly dialect = POSTGRES_DIALECT;
  private readonly mutex = new AsyncMutex();
  private readonly inTransaction = new AsyncLocalStorage<PostgresDatabase>();
  private closed = false;
  private ending: Promise<void> | undefined;

  constructor(
    /** The URL without its password: what messages (migrations, readiness) name the database by. */
    readonly path: string,
    private readonly pool: pg.Pool,
    private readonly beginWrite: string,
    /** Autocommit sessions with asynchronous commit for `counterWrite` (postgres-pool-config.ts). */
    private readonly counters: pg.Pool,
  ) {}

  /**
   * One round trip, no write lock, no wait for the WAL flush: the statement commits by itself on a
   * session of its own pool, whose sessions are read-write with synchronous_commit off. Still
   * atomic and isolated (an upsert's row lock orders two instances' increments); a crash may
   * lose the last increments, which a rate limit can afford.
   * https://www.postgresql.org/docs/current/wal-async-commit.html
   */
  async counterWrite<T>(sql: string, params?: SqlParams): Promise<T[]> {
    this.assertUsable('counterWrite');
    return allOn<T>(this.counters, sql, params);
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.write('run', (client) => runOn(client, sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.write('exec', (client) => execOn(client, sql));
  }

  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    this.assertUsable('read');
    return allOn<T>(this.pool, sql, params);
  }

  /** Every read already sees every committed write (see the class comment). */
  readonly fresh: Pick<Queryable, 'get' | 'all'> = {
    get: (sql, params) => this.get(sql, params),
    all: (sql, params) => this.all(sql, params),
  };

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.write('transaction', async (client) => {
      const tx = new PostgresTransaction(client);
      try {
        return await this.inTransaction.run(this, () => fn(tx));
      } finally {
        tx.finish();
      }
    });
  }

  async *iterate<T>(sql: string, params?: SqlParams): AsyncGenerator<T, void, undefined> {
    this.assertUsable('iterate');
    const statement = toPostgresStatement(sql, params);
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(extended(`DECLARE elevate_iterate NO SCROLL CURSOR FOR ${statement.text}`, statement.values));
      for (;;) {
        const batch = await client.query(`FETCH ${ITERATE_BATCH_ROWS} FROM elevate_iterate`);
        for (const row of batch.rows as T[]) yield row;
        if (batch.rows.length < ITERATE_BATCH_ROWS) break;
      }
    } finally {
      // Also reached when the consumer stops early: ending the transaction closes the cursor. A
      // failed statement leaves the connection fine once rolled back; one that cannot roll back
      // is dropped from the pool.
      await client.query('ROLLBACK').catch((err: Error) => {
        broken = err;
      });
      client.release(broken);
    }
  }

  /**
   * COPY (select) TO STDOUT on a pooled connection (read-only, like every read here), collected
   * into one buffer. COPY takes no parameters, hence a SELECT built by the caller from trusted
   * parts only. https://www.postgresql.org/docs/current/sql-copy.html
   */
  async copyText(select: string): Promise<Buffer> {
    this.assertUsable('read');
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of client.query(copyTo(`COPY (${select}) TO STDOUT`))) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (err) {
      // A COPY cut off mid-stream leaves the connection in an unknown state: drop it.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    // Let in-flight writes finish; later calls fail fast.
    this.ending ??= this.mutex
      .runExclusive(async () => {
        this.closed = true;
      })
      .then(() => Promise.all([this.pool.end(), this.counters.end()]))
      .then(() => undefined);
    return this.ending;
  }

  /** Runs `fn` inside a write transaction holding the database-wide write lock. */
  private write<T>(op: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      this.assertUsable(op);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.mutex.runExclusive(async () => {
      if (this.closed) throw new StoreError(`database ${this.path} is closed`);
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query(this.beginWrite);
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // A failed COMMIT has already rolled back; the original error is the one worth reporting.
        // A connection that cannot even roll back is dropped from the pool, not reused.
        await client.query('ROLLBACK').catch((rollbackErr: Error) => {
          broken = rollbackErr;
        });
        throw err;
      } finally {
        client.release(broken);
      }
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
class PostgresTransaction implements Queryable {
  private done = false;
  constructor(private readonly client: pg.PoolClient) {}

  finish(): void {
    this.done = true;
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.check() ?? runOn(this.client, sql, params);
  }
  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.check() ?? allOn<T>(this.client, sql, params);
  }
  exec(sql: string): Promise<void> {
    return this.check() ?? execOn(this.client, sql);
  }

  private check(): Promise<never> | undefined {
    return this.done ? Promise.reject(new StoreError('transaction handle used after its transaction ended')) : undefined;
  }
}

type Client = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Forces the extended protocol (pg would use the simple one for an empty value list). */
function extended(text: string, values: unknown[]): pg.QueryConfig {
  return { text, values, queryMode: 'extended' } as pg.QueryConfig;
}

async function allOn<T>(client: Client, sql: string, params: SqlParams | undefined): Promise<T[]> {
  const statement = toPostgresStatement(sql, params);
  const result = await client.query(extended(statement.text, statement.values));
  return result.rows as T[];
}

async function runOn(client: Client, sql: string, params: SqlParams | undefined): Promise<RunResult> {
  const statement = toPostgresStatement(sql, params);
  const result = await client.query(extended(statement.text, statement.values));
  return runResult(result.rowCount ?? 0);
}

async function execOn(client: Client, sql: string): Promise<void> {
  await client.query(sql);
}

function runResult(changes: number): RunResult {
  const result = { changes } as RunResult;
  // Non-enumerable, so spreading or comparing the result does not trip it.
  Object.defineProperty(result, 'lastID', {
    enumerable: false,
    get() {
      throw new StoreError('RunResult.lastID does not exist on PostgreSQL: insert with RETURNING and read the row with get');
    },
  });
  return result;
}

/**
 * Opens a pool on the PostgreSQL database named by `ELEVATE_DATABASE_URL` (or settings already
 * parsed from it) and checks that it answers, so a wrong URL or password fails at start-up.
 */
export async function openPostgresDatabase(url: string | PostgresConnectionSettings, opts: OpenPostgresOptions = {}): Promise<Database> {
  const settings = typeof url === 'string' ? parsePostgresUrl(url) : url;
  const config = poolConfig(settings, opts);
  const pool = new pg.Pool(config);
  pool.on('error', (err) => opts.onIdleConnectionError?.(err));
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new StoreError(`database ${settings.display}: cannot connect (${(err as Error).message.split('\n')[0]})`);
  }
  // Opens its sessions on first use only (pg pools connect lazily).
  const counters = new pg.Pool(counterPoolConfig(config));
  counters.on('error', (err) => opts.onIdleConnectionError?.(err));
  return new PostgresDatabase(settings.display, pool, beginWrite(opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS), counters);
}
