import { existsSync } from 'node:fs';
import { join } from 'node:path';
/**
 * SQLite-specific behaviour of the adapter. What both adapters must do alike is the port's
 * contract, run on both in database-contract.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import { useTempDirs } from './store-fixtures.ts';

const tempDir = useTempDirs();

async function withDb<T>(fn: (db: Database, path: string) => Promise<T>): Promise<T> {
  const path = join(tempDir(), 'nested', 'dir', 'test.db');
  const db = await openDatabase(path);
  try {
    return await fn(db, path);
  } finally {
    await db.close();
  }
}

describe('openDatabase', () => {
  it('creates the parent directory and sets WAL, foreign keys, FULL sync and a busy timeout', async () => {
    await withDb(async (db, path) => {
      expect(existsSync(path)).toBe(true);
      expect(db.path).toBe(path);
      expect(db.readonly).toBe(false);
      const pragmas = await db.transaction(async (tx) => ({
        journal: await tx.get<{ journal_mode: string }>('PRAGMA journal_mode'),
        fk: await tx.get<{ foreign_keys: number }>('PRAGMA foreign_keys'),
        sync: await tx.get<{ synchronous: number }>('PRAGMA synchronous'),
        busy: await tx.get<{ timeout: number }>('PRAGMA busy_timeout'),
      }));
      expect(pragmas).toEqual({
        journal: { journal_mode: 'wal' },
        fk: { foreign_keys: 1 },
        sync: { synchronous: 2 }, // FULL
        busy: { timeout: 5000 },
      });
    });
  });

  it('gives the writer a 64 MiB page cache and checkpoints its WAL every 10,000 frames (the audit append path, issue 18)', async () => {
    await withDb(async (db) => {
      expect(await db.fresh.get('PRAGMA cache_size')).toEqual({ cache_size: -65536 });
      expect(await db.fresh.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 10000 });
    });
  });

  it('enforces foreign keys', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id));');
      await expect(db.run('INSERT INTO child (id, parent_id) VALUES (1, 42)')).rejects.toThrow(/FOREIGN KEY constraint failed/);
    });
  });

  it('refuses a missing file when create is false or readonly, instead of making an empty database', async () => {
    const path = join(tempDir(), 'absent.db');
    await expect(openDatabase(path, { create: false })).rejects.toThrow(new StoreError(`database ${path} does not exist`));
    await expect(openDatabase(path, { readonly: true })).rejects.toThrow(StoreError);
    expect(existsSync(path)).toBe(false);
  });

  it('rejects a file that is not a database', async () => {
    const { writeFileSync } = await import('node:fs');
    const path = join(tempDir(), 'junk.db');
    writeFileSync(path, 'this is not sqlite'.repeat(100));
    await expect(openDatabase(path)).rejects.toThrow(/SQLITE_NOTADB/);
  });

  it('surfaces SQLITE_READONLY on writes to a database opened read-only', async () => {
    const path = join(tempDir(), 'ro.db');
    const rw = await openDatabase(path);
    await rw.exec('CREATE TABLE t (v TEXT)');
    await rw.close();
    const ro = await openDatabase(path, { readonly: true });
    try {
      expect(ro.readonly).toBe(true);
      await expect(ro.run('INSERT INTO t VALUES (?)', ['x'])).rejects.toThrow(/SQLITE_READONLY/);
      await expect(ro.exec('CREATE TABLE u (v TEXT)')).rejects.toThrow(/SQLITE_READONLY/);
      await expect(ro.transaction((tx) => tx.run('INSERT INTO t VALUES (?)', ['y']))).rejects.toThrow(/SQLITE_READONLY/);
      expect(await ro.all('SELECT * FROM t')).toEqual([]);
    } finally {
      await ro.close();
    }
  });

  it('surfaces the error when the connection is switched to query_only', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v TEXT)');
      await db.exec('PRAGMA query_only = ON');
      await expect(db.run('INSERT INTO t VALUES (1)')).rejects.toThrow(/SQLITE_READONLY/);
    });
  });
});

describe('lifecycle', () => {
  it('works in memory with a single connection', async () => {
    const db = await openDatabase(':memory:');
    try {
      await db.exec('CREATE TABLE t (v INTEGER)');
      await Promise.all([db.run('INSERT INTO t VALUES (1)'), db.transaction((tx) => tx.run('INSERT INTO t VALUES (2)'))]);
      expect(await db.all('SELECT v FROM t ORDER BY v')).toEqual([{ v: 1 }, { v: 2 }]);
    } finally {
      await db.close();
    }
  });

});

describe('read-your-writes (issue 11, item 1)', () => {
  it('fresh reads refuse to run inside a transaction (they would wait on its lock)', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      await expect(db.transaction(() => db.fresh.get('SELECT 1 AS one'))).rejects.toThrow(/inside a transaction/);
      expect(await db.fresh.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    });
  });

  it('still refuses a nested call in every later transaction, after awaits, and not outside them (issue 18)', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      for (let i = 0; i < 3; i += 1) {
        await db.transaction((tx) => tx.run('INSERT INTO t VALUES (?)', [i]));
        // the transaction context is left between transactions: a plain call is a plain call
        await db.run('INSERT INTO t VALUES (?)', [100 + i]);
        await expect(
          db.transaction(async (tx) => {
            await tx.get('SELECT 1 AS one');
            await new Promise((resolve) => setImmediate(resolve));
            return db.run('INSERT INTO t VALUES (?)', [200 + i]);
          }),
        ).rejects.toThrow(/inside a transaction/);
        await expect(db.transaction(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      }
      expect((await db.all<{ id: number }>('SELECT id FROM t ORDER BY id')).map((r) => r.id)).toEqual([0, 1, 2, 100, 101, 102]);
    });
  });
});
