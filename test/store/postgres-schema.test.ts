/**
 * PostgreSQL-specific: the PostgreSQL migrations build the schema the SQLite ones build (issue 16).
 * Both sets are applied to fresh databases, introspected and compared: tables, columns (type
 * family, nullability, default, collation), primary keys, unique constraints, indexes (key
 * columns, collations, uniqueness, partial or not), foreign keys, CHECK constraints and the
 * values they admit, and the append-only triggers.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { migrate, readMigrations } from '../../src/store/migrations.ts';
import { DEFAULT_POSTGRES_MIGRATIONS_DIR, migratePostgres } from '../../src/store/postgres-migrations.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { postgresSchemaShape } from './postgres-schema-shape.ts';
import type { SchemaShape } from './schema-shape.ts';
import { sqliteSchemaShape } from './sqlite-schema-shape.ts';
import { useTempDirs } from './store-fixtures.ts';

const tempDir = useTempDirs();
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

async function bothShapes(): Promise<{ sqlite: SchemaShape; postgres: SchemaShape }> {
  const db = await openDatabase(join(tempDir(), 'elevate.db'));
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await migrate(db);
    await migratePostgres(client);
    return { sqlite: await sqliteSchemaShape(db), postgres: await postgresSchemaShape(client) };
  } finally {
    await Promise.all([db.close(), client.end()]);
  }
}

describe('PostgreSQL migrations', () => {
  it('carry the numbers and names of the SQLite migrations, one for one', () => {
    expect(readMigrations(DEFAULT_POSTGRES_MIGRATIONS_DIR).map((m) => m.name)).toEqual(readMigrations().map((m) => m.name));
  });

  it('build the schema the SQLite migrations build', async () => {
    const { sqlite, postgres } = await bothShapes();
    expect(Object.keys(postgres)).toEqual(Object.keys(sqlite));

    for (const [table, s] of Object.entries(sqlite)) {
      const p = postgres[table]!;
      // One table at a time, so a difference names its table.
      expect({ table, ...p, triggers: undefined }).toEqual({ table, ...s, triggers: undefined });
      // TRUNCATE skips row triggers and SQLite has none: PostgreSQL adds one refusal of it
      // wherever SQLite refuses a DELETE, and no other trigger.
      expect({ table, triggers: p.triggers.filter((t) => t.event !== 'TRUNCATE') }).toEqual({ table, triggers: s.triggers });
      const refusesDelete = s.triggers.some((t) => t.event === 'DELETE');
      expect({ table, truncate: p.triggers.filter((t) => t.event === 'TRUNCATE').map((t) => t.timing) }).toEqual({ table, truncate: refusesDelete ? ['BEFORE'] : [] });
    }

    // What the comparison above must be able to see, said explicitly.
    const triggersOf = (shape: SchemaShape, table: string) => shape[table]!.triggers.map((t) => `${t.timing} ${t.event}`).sort();
    for (const shape of [sqlite, postgres]) {
      expect(triggersOf(shape, 'audit_log')).toEqual(expect.arrayContaining(['BEFORE DELETE', 'BEFORE UPDATE']));
      expect(triggersOf(shape, 'audit_anchor')).toEqual(expect.arrayContaining(['BEFORE DELETE', 'BEFORE INSERT', 'BEFORE UPDATE']));
      expect(triggersOf(shape, 'request_requesters')).toEqual(expect.arrayContaining(['BEFORE DELETE', 'BEFORE UPDATE']));
      expect(shape['operation_requests']!.checkLiterals).toContain('outcome_unknown');
      expect(shape['agents']!.columns.find((c) => c.name === 'name')!.collation).toBe('nocase');
      expect(shape['audit_log']!.indexes['audit_log_by_scope_lower']).toEqual({ columns: ['lower(scope)', 'seq'], collations: ['binary', 'binary'], unique: false, partial: true });
    }
  });
});
