/**
 * openConfiguredStore: the SQLite file unless ELEVATE_DATABASE_URL is set, then PostgreSQL,
 * migrated at open, refusing a newer database. The PostgreSQL cases are adapter-specific.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import type { Database } from '../../src/store/database.ts';
import { readMigrations } from '../../src/store/migrations.ts';
import { openConfiguredStore } from '../../src/store/open-store.ts';
import { DEFAULT_POSTGRES_MIGRATIONS_DIR, migratePostgres } from '../../src/store/postgres-migrations.ts';
import { poolConfig } from '../../src/store/postgres-pool-config.ts';
import { parsePostgresUrl } from '../../src/store/postgres-url.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { useTempDirs } from './store-fixtures.ts';

const tempDir = useTempDirs();
const opened: Database[] = [];
const databases: TestDatabase[] = [];
const newest = readMigrations(DEFAULT_POSTGRES_MIGRATIONS_DIR).at(-1)!.version;

afterEach(async () => {
  await Promise.all(opened.splice(0).map((d) => d.close()));
  await Promise.all(databases.splice(0).map((d) => d.drop()));
});

async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  databases.push(database);
  return database;
}

describe('openConfiguredStore', () => {
  it('opens the SQLite file when no database URL is set', async () => {
    const dbPath = join(tempDir(), 'elevate.db');
    const db = await openConfiguredStore(parseConfig({ ELEVATE_DB_PATH: dbPath }));
    opened.push(db);
    expect(db.path).toBe(dbPath);
    expect(db.dialect.file).toBe(dbPath);
    expect((await db.get<{ v: number }>('SELECT MAX(version) AS v FROM schema_migrations'))?.v).toBe(newest);
  });

  it('opens and migrates PostgreSQL when ELEVATE_DATABASE_URL is set, and a second start applies nothing', async () => {
    const database = await freshDatabase();
    const config = parseConfig({ ELEVATE_DATABASE_URL: database.url, ELEVATE_DB_PATH: join(tempDir(), 'unused.db') });
    const db = await openConfiguredStore(config);
    opened.push(db);
    expect(db.path).not.toContain(new URL(database.url).password);
    expect(db.dialect.file).toBeUndefined();
    expect((await db.get<{ n: number }>('SELECT count(*) AS n FROM schema_migrations'))?.n).toBe(readMigrations(DEFAULT_POSTGRES_MIGRATIONS_DIR).length);
    // The service's own writes work through the port on the migrated schema.
    expect((await db.run("INSERT INTO sessions (sid, data, expires_at) VALUES ('s1', '{}', 1)")).changes).toBe(1);
    const again = await openConfiguredStore(config);
    opened.push(again);
    expect((await again.get<{ n: number }>('SELECT count(*) AS n FROM schema_migrations'))?.n).toBe(readMigrations(DEFAULT_POSTGRES_MIGRATIONS_DIR).length);
  });

  it('refuses a PostgreSQL database written by a newer Elevate, naming the setting and never the password', async () => {
    const database = await freshDatabase();
    const config = parseConfig({ ELEVATE_DATABASE_URL: database.url });
    opened.push(await openConfiguredStore(config));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query("INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (999, '999_future', 'x', 'x')");
    await admin.end();
    const refusal = await openConfiguredStore(config).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(refusal?.message).toMatch(/schema version 999, newer than this Elevate .*ELEVATE_DATABASE_URL/);
    expect(refusal?.message).not.toContain(new URL(database.url).password);
  });

  it('the migration runner works on one of Elevate\'s read-only-by-default sessions (BEGIN READ WRITE)', async () => {
    const database = await freshDatabase();
    const client = new pg.Client(poolConfig(parsePostgresUrl(database.url)));
    await client.connect();
    try {
      // The session really is read-only by default: a plain transaction cannot write.
      await expect(client.query('CREATE TABLE t (x int)')).rejects.toThrow(/read-only transaction/);
      const result = await migratePostgres(client);
      expect(result.version).toBe(newest);
      expect(result.applied.length).toBe(readMigrations(DEFAULT_POSTGRES_MIGRATIONS_DIR).length);
    } finally {
      await client.end();
    }
  });

  it('authentication=entra without a credential is refused at open', async () => {
    const config = parseConfig({ ELEVATE_DATABASE_URL: 'postgres://elevate-mi@127.0.0.1:1/elevate?authentication=entra' });
    await expect(openConfiguredStore(config)).rejects.toThrow(/authentication=entra needs an Azure credential/);
  });
});
