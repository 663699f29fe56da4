/**
 * SQLite-specific (adapter test): read-only connections of one's own on a SQLite file.
 * Not in the ELEVATE_TEST_STORE=postgres lane.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, openReadConnection } from '../../src/store/database.ts';
import { useTempDirs } from './store-fixtures.ts';

const tempDir = useTempDirs();

describe('openReadConnection and prepared queries', () => {
  it('reads committed data, refuses writes, and refuses a missing file instead of creating it', async () => {
    const path = join(tempDir(), 'r.db');
    const db = await openDatabase(path);
    try {
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      await db.run("INSERT INTO t (v) VALUES ('a'), ('b')");
      const conn = await openReadConnection(path);
      try {
        expect(await conn.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'a' }, { v: 'b' }]);
        await expect(conn.run("INSERT INTO t (v) VALUES ('c')")).rejects.toThrow(/SQLITE_READONLY/);
        await db.run("INSERT INTO t (v) VALUES ('d')");
        expect(await conn.get('SELECT count(*) AS n FROM t')).toEqual({ n: 3 });
      } finally {
        await conn.close();
      }
    } finally {
      await db.close();
    }
    await expect(openReadConnection(join(tempDir(), 'missing.db'))).rejects.toThrow(/SQLITE_CANTOPEN/);
  });

  it('runs one prepared statement many times with bound (never interpolated) parameters', async () => {
    const path = join(tempDir(), 'p.db');
    const db = await openDatabase(path);
    const conn = await openReadConnection(path);
    try {
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      await db.run("INSERT INTO t (v) VALUES ('a'), ('b'), ('c'), ('x'' OR 1=1 --')");
      const q = await conn.prepare<{ v: string }>('SELECT v FROM t WHERE id > ? AND id <= ? ORDER BY id');
      try {
        // Both queued at once: each run binds its own parameters.
        const [first, second] = await Promise.all([q.all([0, 2]), q.all([2, 4])]);
        expect(first).toEqual([{ v: 'a' }, { v: 'b' }]);
        expect(second).toEqual([{ v: 'c' }, { v: "x' OR 1=1 --" }]);
        expect(await q.all([4, 9])).toEqual([]);
      } finally {
        await q.finalize();
      }
      const byText = await conn.prepare<{ id: number }>('SELECT id FROM t WHERE v = ?');
      expect(await byText.all(["x' OR 1=1 --"])).toEqual([{ id: 4 }]);
      expect(await byText.all(["' OR 1=1 --"])).toEqual([]);
      await byText.finalize();
      await expect(conn.prepare('SELECT nope FROM t')).rejects.toThrow(/no such column/);
    } finally {
      await conn.close();
      await db.close();
    }
  });
});
