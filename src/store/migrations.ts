import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/load-config.ts';
import { openDatabase, type Database, type OpenDatabaseOptions } from './database.ts';
import { StoreError } from './store-errors.ts';

export interface Migration {
  version: number;
  /** File name without `.sql`, e.g. `001_audit_log`. */
  name: string;
  sql: string;
  /** SHA-256 hex of the file with line endings normalised, so a CRLF checkout is not a "change". */
  checksum: string;
}

export interface MigrateResult {
  /** Highest applied version after migrating (0 for an empty migration set). */
  version: number;
  applied: Migration[];
}

export interface MigrateOptions {
  dir?: string;
  clock?: () => Date;
}

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

const FILE_NAME = /^(\d{3})_[a-z0-9_]+\.sql$/;

/**
 * Reads `NNN_name.sql` files in numeric order; other files are an error, not silently skipped.
 * Subfolders (migrations/postgres/ holds the PostgreSQL set) and a README.md are not migrations.
 */
export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).filter((e) => !e.isDirectory() && e.name !== 'README.md');
  for (const file of entries.map((e) => e.name).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new StoreError(`migrations: ${file} in ${dir} is not named NNN_name.sql`);
    const sql = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n');
    const version = Number(match[1]);
    const clash = migrations.find((m) => m.version === version);
    if (clash) throw new StoreError(`migrations: ${file} and ${clash.name}.sql share version ${version}`);
    migrations.push({ version, name: file.slice(0, -4), sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations.sort((a, b) => a.version - b.version);
}

export interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Brings the schema up to date: each pending migration runs in its own transaction together
 * with its `schema_migrations` row, so a failing file leaves nothing half-applied. Refuses a
 * database written by a newer Elevate, or whose applied migrations no longer match the files.
 */
export async function migrate(db: Database, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const known = readMigrations(opts.dir);
  const clock = opts.clock ?? (() => new Date());
  const newest = known.at(-1)?.version ?? 0;

  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL, checksum TEXT NOT NULL)',
  );
  const applied = await db.all<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  checkApplied(`database ${db.path}`, 'ELEVATE_DB_PATH', applied, known, newest);

  const done = new Set(applied.map((a) => a.version));
  const ran: Migration[] = [];
  for (const m of known) {
    if (done.has(m.version)) continue;
    const didRun = await db.transaction(async (tx) => {
      // Another process may have migrated between our read and taking the write lock.
      const already = await tx.get<AppliedRow>('SELECT version, name, checksum FROM schema_migrations WHERE version = ?', [m.version]);
      if (already) {
        checkApplied(`database ${db.path}`, 'ELEVATE_DB_PATH', [already], known, newest);
        return false;
      }
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new StoreError(`migration ${m.name}.sql failed on ${db.path}: ${(err as Error).message.split('\n')[0]}`);
      }
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (?, ?, ?, ?)', [
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

/**
 * Refuses a database written by a newer Elevate, or whose applied migrations no longer match the
 * files. `database` names it for the operator (never with credentials); `setting` is what they
 * change to point Elevate elsewhere. Shared by the SQLite and PostgreSQL runners.
 */
export function checkApplied(database: string, setting: string, applied: AppliedRow[], known: Migration[], newest: number): void {
  const highest = Math.max(0, ...applied.map((a) => a.version));
  if (highest > newest) {
    throw new StoreError(
      `${database} is at schema version ${highest}, newer than this Elevate (${newest}): upgrade Elevate or use another ${setting}`,
    );
  }
  for (const a of applied) {
    const file = known.find((m) => m.version === a.version);
    if (!file) {
      throw new StoreError(`${database} has migration ${a.name} applied, but no such file is known: restore it or use another ${setting}`);
    }
    if (file.checksum !== a.checksum) {
      throw new StoreError(
        `${database}: migration ${file.name}.sql changed after it was applied (checksum differs): restore the file or use another ${setting}`,
      );
    }
  }
}

/** Opens the configured database and migrates it: the one way services get a store. */
export async function openStore(
  config: Pick<Config, 'dbPath'>,
  opts: MigrateOptions & Pick<OpenDatabaseOptions, 'busyTimeoutMs'> = {},
): Promise<Database> {
  const db = await openDatabase(config.dbPath, opts.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: opts.busyTimeoutMs });
  try {
    await migrate(db, opts);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
