/**
 * The database an `elevate audit` command works on, chosen as the service chooses its store
 * (open-store.ts): `--db <file>` names a SQLite file; without it, ELEVATE_DATABASE_URL selects
 * PostgreSQL (validated by loadConfig, never echoed: messages name it by its display form,
 * `postgres://user@host:port/db`), else ELEVATE_DB_PATH. Reading (verify, export) never creates,
 * migrates or writes a database; writing (checkpoint, retention) brings the schema up to date
 * first, as the service does.
 *
 * A read still checks the schema version. A database written by a newer Elevate is refused: this
 * verifier cannot vouch for a chain or checkpoints whose format it may not know. Verifying
 * checkpoints needs this version's checkpoint tables; an older database is refused with the way
 * to migrate it, rather than failing on a missing column. The chain and the export need only the
 * audit log, whose columns every version has, so an older copy (a backup) can be read as it is.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../../config/load-config.ts';
import { openDatabase, type Database } from '../../store/database.ts';
import { DEFAULT_MIGRATIONS_DIR, openStore, readMigrations } from '../../store/migrations.ts';
import { openPostgresStore } from '../../store/open-store.ts';
import { DEFAULT_POSTGRES_MIGRATIONS_DIR } from '../../store/postgres-migrations.ts';
import { openPostgresDatabase } from '../../store/postgres-database.ts';
import { CliError } from '../cli-output.ts';
import { openServiceCredential } from './levels-cli-context.ts';

/** 'read': the audit log as any version wrote it; 'read-checkpoints': also this version's checkpoint tables; 'write': migrated first. */
export type AuditDatabaseUse = 'read' | 'read-checkpoints' | 'write';

const firstLine = (err: unknown) => (err as Error).message.split('\n')[0]!;

export async function openAuditDatabase(dbFlag: string | undefined, config: Config, use: AuditDatabaseUse): Promise<Database> {
  if (dbFlag === undefined && config.database) return openPostgres(config.database, config, use);
  const path = dbFlag ?? config.dbPath;
  if (!existsSync(path)) throw new CliError(`database ${path} does not exist`);
  if (use === 'write') {
    return openStore({ dbPath: path }).catch((err: unknown) => {
      throw new CliError(`cannot open database ${path}: ${firstLine(err)}`);
    });
  }
  let db: Database;
  try {
    db = await openDatabase(path, { readonly: true });
  } catch (err) {
    throw new CliError(`cannot open database ${path}: ${(err as Error).message}`);
  }
  const probe = "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'";
  return withAuditLog(db, { name: path, probe, migrationsDir: DEFAULT_MIGRATIONS_DIR, use });
}

async function openPostgres(database: NonNullable<Config['database']>, config: Config, use: AuditDatabaseUse): Promise<Database> {
  // With authentication=entra the CLI signs in to the database as Elevate does: with its credential.
  const credential = database.authentication === 'entra' ? await openServiceCredential(config) : undefined;
  const options = credential ? { credential } : {};
  let db: Database;
  try {
    db = use === 'write' ? await openPostgresStore(database.settings(), options) : await openPostgresDatabase(database.settings(), options);
  } catch (err) {
    throw new CliError(`cannot open database ${database.display}: ${firstLine(err)}`);
  }
  if (use === 'write') return db;
  const probe = "SELECT 1 AS found WHERE to_regclass('audit_log') IS NOT NULL";
  return withAuditLog(db, { name: database.display, probe, migrationsDir: DEFAULT_POSTGRES_MIGRATIONS_DIR, use });
}

interface ReadCheck {
  /** The database as messages name it (never with credentials). */
  name: string;
  /** SQL giving a row when the audit log exists. */
  probe: string;
  /** This engine's migrations, to know the version this Elevate expects. */
  migrationsDir: string;
  use: Exclude<AuditDatabaseUse, 'write'>;
}

/** The database, once it is known to hold an audit log at a version this Elevate can read; closed and refused otherwise. */
async function withAuditLog(db: Database, check: ReadCheck): Promise<Database> {
  const { name, probe, migrationsDir, use } = check;
  try {
    if (!(await db.get(probe))) throw new CliError(`database ${name} has no audit log (not an Elevate database?)`);
    const newest = readMigrations(migrationsDir).at(-1)?.version ?? 0;
    const row = await db.get<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const version = Number(row?.version ?? 0);
    if (version > newest) {
      throw new CliError(`database ${name} is at schema version ${version}, newer than this Elevate (${newest}): read it with that Elevate or a newer one`);
    }
    if (use === 'read-checkpoints' && version < newest) {
      throw new CliError(
        `database ${name} is at schema version ${version}, older than this Elevate (${newest}), whose checkpoint records it lacks: start Elevate on it once, or run \`elevate audit checkpoint\`, to migrate it; \`elevate audit verify\` without --checkpoints reads it as it is`,
      );
    }
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read database ${name}: ${firstLine(err)}`);
  }
}
