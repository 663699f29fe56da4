/**
 * SQLite-specific (adapter test): the migration runner on SQLite files. PostgreSQL's runner has
 * postgres-migrations.test.ts. Not in the ELEVATE_TEST_STORE=postgres lane.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate, openStore, readMigrations } from '../../src/store/migrations.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import { useTempDirs, writeMigrations } from './store-fixtures.ts';

const tempDir = useTempDirs();
const fixedClock = () => new Date('2026-01-02T03:04:05.678Z');

describe('readMigrations', () => {
  it('orders files numerically and checksums them', () => {
    const dir = writeMigrations(tempDir(), 'm', { '010_c.sql': 'SELECT 3;', '002_b.sql': 'SELECT 2;', '001_a.sql': 'SELECT 1;' });
    const ms = readMigrations(dir);
    expect(ms.map((m) => [m.version, m.name])).toEqual([
      [1, '001_a'],
      [2, '002_b'],
      [10, '010_c'],
    ]);
    expect(ms[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats CRLF and LF checkouts of a file as the same migration', () => {
    const a = readMigrations(writeMigrations(tempDir(), 'lf', { '001_a.sql': 'SELECT 1;\nSELECT 2;\n' }));
    const b = readMigrations(writeMigrations(tempDir(), 'crlf', { '001_a.sql': 'SELECT 1;\r\nSELECT 2;\r\n' }));
    expect(a[0]!.checksum).toBe(b[0]!.checksum);
  });

  it('rejects badly named files and duplicate versions', () => {
    expect(() => readMigrations(writeMigrations(tempDir(), 'bad', { '1_a.sql': '' }))).toThrow(/not named NNN_name\.sql/);
    expect(() => readMigrations(writeMigrations(tempDir(), 'bad2', { '001_a.sql': '', 'notes.txt': '' }))).toThrow(/notes\.txt/);
    expect(() => readMigrations(writeMigrations(tempDir(), 'dup', { '001_a.sql': '', '001_b.sql': '' }))).toThrow(/share version 1/);
  });

  it('skips subfolders (the PostgreSQL set) and a README.md', () => {
    const dir = writeMigrations(tempDir(), 'm', { '001_a.sql': 'SELECT 1;', 'README.md': '# notes' });
    writeMigrations(dir, 'postgres', { '001_a.sql': 'SELECT 1;' });
    expect(readMigrations(dir).map((m) => m.name)).toEqual(['001_a']);
  });

  it('finds the project migrations, starting with the audit log', () => {
    expect(readMigrations(DEFAULT_MIGRATIONS_DIR)[0]?.name).toBe('001_audit_log');
  });
});

describe('migrate', () => {
  it('applies pending migrations in numeric order, records them, and is idempotent', async () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, 'm', {
      '002_b.sql': "INSERT INTO log VALUES ('b');",
      '001_a.sql': "CREATE TABLE log (name TEXT); INSERT INTO log VALUES ('a');",
      '010_c.sql': "INSERT INTO log VALUES ('c');",
    });
    const db = await openDatabase(join(dir, 'x.db'));
    try {
      const first = await migrate(db, { dir: migrations, clock: fixedClock });
      expect(first.version).toBe(10);
      expect(first.applied.map((m) => m.name)).toEqual(['001_a', '002_b', '010_c']);
      expect(await db.all('SELECT name FROM log')).toEqual([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
      const recorded = await db.all<{ version: number; name: string; applied_at: string; checksum: string }>('SELECT * FROM schema_migrations ORDER BY version');
      expect(recorded.map((r) => [r.version, r.name, r.applied_at])).toEqual([
        [1, '001_a', '2026-01-02T03:04:05.678Z'],
        [2, '002_b', '2026-01-02T03:04:05.678Z'],
        [10, '010_c', '2026-01-02T03:04:05.678Z'],
      ]);
      expect(recorded[0]!.checksum).toBe(readMigrations(migrations)[0]!.checksum);
      const again = await migrate(db, { dir: migrations });
      expect(again).toEqual({ version: 10, applied: [] });
      expect(await db.all('SELECT name FROM log')).toHaveLength(3);
    } finally {
      await db.close();
    }
  });

  it('leaves nothing of a failing migration behind and keeps the ones before it', async () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, 'm', {
      '001_ok.sql': 'CREATE TABLE one (v INTEGER);',
      '002_broken.sql': 'CREATE TABLE two (v INTEGER); INSERT INTO one VALUES (1); INSERT INTO nowhere VALUES (1);',
      '003_never.sql': 'CREATE TABLE three (v INTEGER);',
    });
    const db = await openDatabase(join(dir, 'x.db'));
    try {
      await expect(migrate(db, { dir: migrations })).rejects.toThrow(
        new StoreError(`migration 002_broken.sql failed on ${db.path}: SQLITE_ERROR: no such table: nowhere`),
      );
      const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
      expect(tables.map((t) => t.name)).toEqual(['one', 'schema_migrations']);
      expect(await db.all('SELECT * FROM one')).toEqual([]);
      expect(await db.all('SELECT version FROM schema_migrations')).toEqual([{ version: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('applies a lower-numbered migration that arrived after a higher one', async () => {
    const dir = tempDir();
    const db = await openDatabase(join(dir, 'x.db'));
    try {
      await migrate(db, { dir: writeMigrations(dir, 'v1', { '001_a.sql': 'CREATE TABLE a (v INTEGER);', '003_c.sql': 'CREATE TABLE c (v INTEGER);' }) });
      const later = writeMigrations(dir, 'v2', {
        '001_a.sql': 'CREATE TABLE a (v INTEGER);',
        '002_b.sql': 'CREATE TABLE b (v INTEGER);',
        '003_c.sql': 'CREATE TABLE c (v INTEGER);',
      });
      expect((await migrate(db, { dir: later })).applied.map((m) => m.name)).toEqual(['002_b']);
    } finally {
      await db.close();
    }
  });

  it('refuses a database written by a newer Elevate, with a one-line message', async () => {
    const dir = tempDir();
    const path = join(dir, 'elevate.db');
    const newer = writeMigrations(dir, 'newer', { '001_a.sql': 'SELECT 1;', '005_e.sql': 'SELECT 1;', '007_g.sql': 'SELECT 1;' });
    const older = writeMigrations(dir, 'older', { '001_a.sql': 'SELECT 1;', '005_e.sql': 'SELECT 1;' });
    const db = await openDatabase(path);
    try {
      await migrate(db, { dir: newer });
      const err = await migrate(db, { dir: older }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toBe(
        `database ${path} is at schema version 7, newer than this Elevate (5): upgrade Elevate or use another ELEVATE_DB_PATH`,
      );
      expect((err as Error).message).not.toContain('\n');
    } finally {
      await db.close();
    }
  });

  it('refuses when an applied migration file changed or disappeared', async () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, 'm', { '001_a.sql': 'CREATE TABLE a (v INTEGER);', '002_b.sql': 'CREATE TABLE b (v INTEGER);' });
    const db = await openDatabase(join(dir, 'x.db'));
    try {
      await migrate(db, { dir: migrations });
      writeFileSync(join(migrations, '001_a.sql'), 'CREATE TABLE a (v INTEGER, w TEXT);');
      await expect(migrate(db, { dir: migrations })).rejects.toThrow(/migration 001_a\.sql changed after it was applied/);
      const without = writeMigrations(dir, 'gone', { '002_b.sql': 'CREATE TABLE b (v INTEGER);', '003_c.sql': 'SELECT 1;' });
      await expect(migrate(db, { dir: without })).rejects.toThrow(/migration 001_a applied, but no such file is known/);
      expect(await db.all("SELECT name FROM sqlite_master WHERE name = 'c'")).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('lets two processes migrate the same file at once without applying anything twice', async () => {
    const dir = tempDir();
    const migrations = writeMigrations(dir, 'm', {
      '001_a.sql': 'CREATE TABLE a (v INTEGER);',
      '002_b.sql': 'CREATE TABLE b (v INTEGER);',
    });
    const path = join(dir, 'x.db');
    const a = await openDatabase(path);
    const b = await openDatabase(path);
    try {
      const [ra, rb] = await Promise.all([migrate(a, { dir: migrations }), migrate(b, { dir: migrations })]);
      expect([...ra.applied, ...rb.applied].map((m) => m.name).sort()).toEqual(['001_a', '002_b']);
      expect(await a.all('SELECT version FROM schema_migrations ORDER BY version')).toEqual([{ version: 1 }, { version: 2 }]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('openStore', () => {
  it('opens the configured path (creating its folder) and applies the project migrations', async () => {
    const path = join(tempDir(), 'data', 'elevate.db');
    const db = await openStore({ dbPath: path });
    try {
      const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'");
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['schema_migrations', 'audit_log', 'audit_anchor']));
      const applied = await db.all<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version');
      expect(applied.map((r) => r.name)).toEqual(readMigrations().map((m) => m.name));
    } finally {
      await db.close();
    }
  });

  it('closes the database and rejects when migrating fails', async () => {
    const dir = tempDir();
    const path = join(dir, 'elevate.db');
    const newer = writeMigrations(dir, 'm', { '999_future.sql': 'SELECT 1;' });
    const db = await openDatabase(path);
    await migrate(db, { dir: newer });
    await db.close();
    await expect(openStore({ dbPath: path })).rejects.toThrow(/is at schema version 999, newer than this Elevate/);
  });
});
