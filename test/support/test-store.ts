/**
 * Which store the suite's harnesses open (issue 16: the whole suite runs on both adapters).
 * By default a SQLite file (or `:memory:`), as before; with `ELEVATE_TEST_STORE=postgres` a fresh
 * database per caller on the run's one throwaway PostgreSQL cluster (test/global-setup.ts), made
 * from a template that is already migrated, so a harness costs a CREATE DATABASE and not a
 * migration run. Tests that only make sense on one engine say so in their file name
 * (`*.sqlite.test.ts`, `*.postgres.test.ts`); the PostgreSQL lane skips the SQLite ones.
 */
import { openDatabase, type Database } from '../../src/store/database.ts';
import { openStore } from '../../src/store/migrations.ts';
import { openConfiguredStore } from '../../src/store/open-store.ts';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createTestDatabase } from './postgres-context.ts';

export type TestStoreKind = 'sqlite' | 'postgres';

export const TEST_STORE_VARIABLE = 'ELEVATE_TEST_STORE';

export function testStoreKind(env: NodeJS.ProcessEnv = process.env): TestStoreKind {
  const value = env[TEST_STORE_VARIABLE];
  if (value === undefined || value === '' || value === 'sqlite') return 'sqlite';
  if (value === 'postgres') return 'postgres';
  throw new Error(`${TEST_STORE_VARIABLE}=${value}: expected sqlite or postgres`);
}

export interface TestStoreEnv {
  /** ELEVATE_DB_PATH (always: the configuration reads it), and ELEVATE_DATABASE_URL on PostgreSQL. */
  env: Record<string, string>;
  /** Drops the PostgreSQL database (after whatever used it has closed); nothing on SQLite. */
  drop(): Promise<void>;
}

/** The configuration variables of a store for a service or CLI a test starts. */
export async function testStoreEnv(dbPath: string, prefix = 'elevate_test'): Promise<TestStoreEnv> {
  if (testStoreKind() === 'sqlite') return { env: { ELEVATE_DB_PATH: dbPath }, drop: async () => {} };
  const database = await createTestDatabase(prefix, { migrated: true });
  return { env: { ELEVATE_DB_PATH: dbPath, ELEVATE_DATABASE_URL: database.url }, drop: () => database.drop() };
}

/**
 * A migrated store: `openStore({ dbPath })` by default, a fresh PostgreSQL database with the
 * switch. Closing it drops that database too.
 */
export async function openTestStore(dbPath = ':memory:', prefix = 'elevate_test'): Promise<Database> {
  if (testStoreKind() === 'sqlite') return openStore({ dbPath });
  const { env, drop } = await testStoreEnv(dbPath, prefix);
  const db = await openConfiguredStore(parseConfig(env));
  const close = db.close.bind(db);
  let dropped: Promise<void> | undefined;
  db.close = () => (dropped ??= close().then(drop));
  return db;
}

/**
 * The store a spawned service runs on, opened beside it to look at what it wrote: the SQLite file
 * read-only (a second connection must not take the writer's lock), or a connection pool of its own
 * on the PostgreSQL database (a server reads beside a writer by design).
 */
export async function openStoreToRead(store: TestStoreEnv): Promise<Database> {
  const config = parseConfig(store.env);
  if (config.database) return openPostgresDatabase(config.database.settings());
  return openDatabase(config.dbPath, { readonly: true });
}

/** The store of `store` opened and migrated, to seed it before a service process starts on it. */
export function openStoreToSeed(store: TestStoreEnv): Promise<Database> {
  return openConfiguredStore(parseConfig(store.env));
}
