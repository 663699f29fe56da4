/**
 * The database an `elevate audit` command works on, chosen as the service chooses its store
 * (open-store.ts): `--db <file>` names a SQLite file; without it, ELEVATE_DATABASE_URL selects
 * PostgreSQL (validated by loadConfig, never echoed: messages name it by its display form,
 * `postgres://user@host:port/db`), else ELEVATE_DB_PATH. Reading (verify, export) never creates,
 * migrates or writes a database; writing (checkpoint, retention) brings the schema up to date
 * first, as the service does.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../../config/load-config.ts';
import { openDatabase, type Database } from '../../store/database.ts';
import { openStore } from '../../store/migrations.ts';
import { openPostgresStore } from '../../store/open-store.ts';
import { openPostgresDatabase } from '../../store/postgres-database.ts';
import { CliError } from '../cli-output.ts';
import { openServiceCredential } from './levels-cli-context.ts';

export type AuditDatabaseUse = 'read' | 'write';

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
  return withAuditLog(db, path, "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'");
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
  return use === 'write' ? db : withAuditLog(db, database.display, "SELECT 1 AS found WHERE to_regclass('audit_log') IS NOT NULL");
}

/** The database, once it is known to hold an audit log; closed and refused otherwise. */
async function withAuditLog(db: Database, name: string, probe: string): Promise<Database> {
  try {
    if (!(await db.get(probe))) throw new CliError(`database ${name} has no audit log (not an Elevate database?)`);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read database ${name}: ${firstLine(err)}`);
  }
}
