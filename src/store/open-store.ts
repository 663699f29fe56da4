/**
 * The one way the service gets its store: the SQLite file by default, PostgreSQL when
 * ELEVATE_DATABASE_URL is set. Either way the schema is brought up to date first and a database
 * written by a newer Elevate is refused. What it returns is the `Database` port; nothing above
 * the store learns which engine is behind it.
 */
import type { TokenCredential } from '@azure/core-auth';
import pg from 'pg';
import type { Config } from '../config/load-config.ts';
import type { Database } from './database.ts';
import { openStore, type MigrateOptions } from './migrations.ts';
import { openPostgresDatabase } from './postgres-database.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { poolConfig, type OpenPostgresOptions } from './postgres-pool-config.ts';
import type { PostgresConnectionSettings } from './postgres-url.ts';

export interface OpenConfiguredStoreOptions extends MigrateOptions {
  /** Elevate's own Azure credential: the password source when the URL says authentication=entra. */
  credential?: TokenCredential;
  busyTimeoutMs?: number;
  /** Told about a pooled PostgreSQL connection that failed while idle (it is replaced on next use). */
  onIdleConnectionError?: (err: Error) => void;
}

export function openConfiguredStore(config: Pick<Config, 'dbPath' | 'database'>, opts: OpenConfiguredStoreOptions = {}): Promise<Database> {
  const { credential, onIdleConnectionError, ...migrate } = opts;
  if (!config.database) return openStore(config, migrate);
  return openPostgresStore(config.database.settings(), {
    ...migrate,
    ...(credential ? { credential } : {}),
    ...(onIdleConnectionError ? { onIdleConnectionError } : {}),
  });
}

/**
 * Opens the pool (which checks the server answers), then migrates over a connection of its own.
 * The runner's own client: the pool's sessions are read-only by default (see poolConfig), and a
 * run holds one session for its whole length, which should not be one of the pool's.
 */
export async function openPostgresStore(
  settings: PostgresConnectionSettings,
  opts: MigrateOptions & Pick<OpenPostgresOptions, 'credential' | 'busyTimeoutMs' | 'onIdleConnectionError'> = {},
): Promise<Database> {
  const { dir, clock, ...open } = opts;
  const db = await openPostgresDatabase(settings, open);
  try {
    const client = new pg.Client(poolConfig(settings, open));
    // An error on the idle client would otherwise be an unhandled 'error' event; the run's own
    // queries report it.
    client.on('error', () => undefined);
    await client.connect();
    try {
      await migratePostgres(client, { ...(dir ? { dir } : {}), ...(clock ? { clock } : {}) });
    } finally {
      await client.end().catch(() => undefined);
    }
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
