/**
 * The PostgreSQL twin of migrations.ts: applies migrations/postgres/NNN_name.sql (the same
 * numbers and names as the SQLite set, checked equivalent by test/store/postgres-schema.test.ts)
 * and keeps the same `schema_migrations` bookkeeping.
 *
 * Several instances may start at once against one database. Every transaction here first takes
 * one transaction-scoped advisory lock, so starters queue: the first applies what is pending, the
 * others then find it applied and go on. A crashed starter's lock ends with its transaction.
 * https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { checkApplied, readMigrations, type AppliedRow, type MigrateOptions, type MigrateResult, type Migration } from './migrations.ts';
import { StoreError } from './store-errors.ts';

export const DEFAULT_POSTGRES_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/postgres/', import.meta.url));

/**
 * The two-key advisory lock taken by every migration transaction. The first key is Elevate's
 * namespace ('Elev' in ASCII), so other Elevate locks (singleton jobs) can use other second keys
 * without meeting this one or another application's single-bigint locks.
 */
export const MIGRATION_LOCK = { namespace: 0x456c6576, id: 1 } as const;

/** What operators change to point Elevate at another PostgreSQL database. */
const SETTING = 'ELEVATE_DATABASE_URL';

// As SQLite's, with byte-order text like every table of migrations/postgres/ (README.md there).
// INTEGER, not BIGINT: read here through plain pg, which returns int4 as a number.
const BOOKKEEPING =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT COLLATE "C" NOT NULL, applied_at TEXT COLLATE "C" NOT NULL, checksum TEXT COLLATE "C" NOT NULL)';

type Session = Pick<pg.ClientBase, 'query'>;

/**
 * Brings the schema up to date: each pending migration runs in its own transaction together with
 * its `schema_migrations` row, so a failing file leaves nothing half-applied. Refuses a database
 * written by a newer Elevate, or whose applied migrations no longer match the files.
 * A pool lends one connection for the whole run (transactions need one session).
 */
export async function migratePostgres(db: pg.Pool | pg.Client, opts: MigrateOptions = {}): Promise<MigrateResult> {
  if (!(db instanceof pg.Pool)) return migrateOn(db, opts);
  const client = await db.connect();
  let failure: Error | undefined;
  try {
    return await migrateOn(client, opts);
  } catch (err) {
    failure = err as Error;
    throw err;
  } finally {
    // A connection that failed mid-run may be in any state: the pool discards it.
    client.release(failure);
  }
}

async function migrateOn(session: Session, opts: MigrateOptions): Promise<MigrateResult> {
  const known = readMigrations(opts.dir ?? DEFAULT_POSTGRES_MIGRATIONS_DIR);
  const clock = opts.clock ?? (() => new Date());
  const newest = known.at(-1)?.version ?? 0;
  // Named by the database alone: the URL may carry a password.
  const { rows } = await session.query<{ name: string }>('SELECT current_database() AS name');
  const database = `PostgreSQL database ${rows[0]!.name}`;

  // Under the lock too: concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL's catalog.
  const applied = await serialised(session, async () => {
    await session.query(BOOKKEEPING);
    return readApplied(session);
  });
  checkApplied(database, SETTING, applied, known, newest);

  const done = new Set(applied.map((a) => a.version));
  const ran: Migration[] = [];
  for (const m of known) {
    if (done.has(m.version)) continue;
    const didRun = await serialised(session, async () => {
      // Another instance may have migrated between our read and taking the lock.
      const now = await readApplied(session);
      checkApplied(database, SETTING, now, known, newest);
      if (now.some((a) => a.version === m.version)) return false;
      try {
        await session.query(m.sql);
      } catch (err) {
        throw new StoreError(`migration ${m.name}.sql failed on ${database}: ${(err as Error).message.split('\n')[0]}`);
      }
      await session.query('INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)', [
        m.version,
        m.name,
        clock().toISOString(),
        m.checksum,
      ]);
      return true;
    });
    if (didRun) ran.push(m);
  }
  return { version: Math.max(newest, ...applied.map((a) => a.version)), applied: ran };
}

function readApplied(session: Session): Promise<AppliedRow[]> {
  return session.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version').then((r) => r.rows);
}

/**
 * Runs `fn` in a transaction that first waits for the migration lock; rolls back if `fn` throws.
 * READ WRITE said out loud: Elevate's sessions default to read-only (postgres-pool-config.ts), and
 * a runner handed one of them must still be able to create the schema.
 */
async function serialised<T>(session: Session, fn: () => Promise<T>): Promise<T> {
  await session.query('BEGIN READ WRITE');
  try {
    await session.query('SELECT pg_advisory_xact_lock($1, $2)', [MIGRATION_LOCK.namespace, MIGRATION_LOCK.id]);
    const result = await fn();
    await session.query('COMMIT');
    return result;
  } catch (err) {
    await session.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
