import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { keysetPages } from '../../src/store/keyset-pages.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import { useTempDirs } from './store-fixtures.ts';

const tempDir = useTempDirs();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

describe('statements', () => {
  it('run reports changes for compare-and-set updates', async () => {
    await withDb(async (db) => {
      await db.exec("CREATE TABLE req (id TEXT PRIMARY KEY, state TEXT NOT NULL); INSERT INTO req VALUES ('r1', 'pending');");
      const cas = (from: string, to: string) => db.run('UPDATE req SET state = ? WHERE id = ? AND state = ?', [to, 'r1', from]);
      const [a, b] = await Promise.all([cas('pending', 'approved'), cas('pending', 'denied')]);
      expect([a.changes, b.changes].sort()).toEqual([0, 1]);
      expect((await db.get<{ state: string }>('SELECT state FROM req'))?.state).toBe('approved');
      const ins = await db.run('INSERT INTO req VALUES (?, ?)', ['r2', 'x']);
      expect(ins.changes).toBe(1);
    });
  });

  it('binds positional and named parameters and never interpolates them', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v TEXT)');
      const hostile = "x'); DROP TABLE t; --";
      await db.run('INSERT INTO t VALUES (?)', [hostile]);
      await db.run('INSERT INTO t VALUES ($v)', { $v: 'named' });
      expect(await db.all<{ v: string }>('SELECT v FROM t ORDER BY rowid')).toEqual([{ v: hostile }, { v: 'named' }]);
    });
  });

  it('reports SQL errors as rejections', async () => {
    await withDb(async (db) => {
      await expect(db.get('SELECT * FROM missing')).rejects.toThrow(/no such table/);
      await expect(db.run('NOT SQL')).rejects.toThrow(/syntax error/);
    });
  });
});

describe('transactions', () => {
  it('commits on success and rolls back everything on a throw', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v INTEGER)');
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO t VALUES (1)');
        await tx.run('INSERT INTO t VALUES (2)');
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO t VALUES (3)');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await db.all('SELECT v FROM t ORDER BY v')).toEqual([{ v: 1 }, { v: 2 }]);
    });
  });

  it('never interleaves concurrent transactions, and a failing one undoes only its own writes', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (flow INTEGER, step INTEGER)');
      const flows = Array.from({ length: 40 }, (_, flow) =>
        db.transaction(async (tx) => {
          for (let step = 0; step < 5; step++) {
            await tx.run('INSERT INTO t VALUES (?, ?)', [flow, step]);
            await sleep(flow % 3); // yield to the event loop so other flows get a chance to interleave
          }
          // every flow sees its own rows, and only complete other flows
          const counts = await tx.all<{ flow: number; n: number }>('SELECT flow, COUNT(*) AS n FROM t GROUP BY flow');
          for (const c of counts) expect(c.n).toBe(5);
          if (flow % 7 === 0) throw new Error(`flow ${flow} fails`);
        }),
      );
      const results = await Promise.allSettled(flows);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(6);
      const rows = await db.all<{ flow: number; step: number }>('SELECT flow, step FROM t ORDER BY rowid');
      expect(rows).toHaveLength(34 * 5);
      // rowid order shows each flow's rows contiguous: no other flow's statement landed inside
      for (let i = 0; i < rows.length; i += 5) {
        const block = rows.slice(i, i + 5);
        expect(block.map((r) => r.step)).toEqual([0, 1, 2, 3, 4]);
        expect(new Set(block.map((r) => r.flow)).size).toBe(1);
        expect(block[0]!.flow % 7).not.toBe(0);
      }
    });
  });

  it('does not let plain writes from other flows land inside an open transaction', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v TEXT)');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = db.transaction(async (t) => {
        await t.run("INSERT INTO t VALUES ('tx')");
        await gate;
        throw new Error('roll back');
      });
      const outside = db.run("INSERT INTO t VALUES ('outside')");
      await sleep(20);
      release();
      await expect(tx).rejects.toThrow('roll back');
      await outside;
      expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'outside' }]);
    });
  });

  it('readers see only committed data while a transaction is open', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v INTEGER)');
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let seenInside: unknown;
      const tx = db.transaction(async (t) => {
        await t.run('INSERT INTO t VALUES (1)');
        seenInside = await t.all('SELECT v FROM t');
        await gate;
      });
      await sleep(20);
      expect(await db.all('SELECT v FROM t')).toEqual([]); // not blocked, not dirty
      release();
      await tx;
      expect(seenInside).toEqual([{ v: 1 }]);
      expect(await db.all('SELECT v FROM t')).toEqual([{ v: 1 }]);
    });
  });

  it('refuses to use the database itself inside a transaction instead of deadlocking', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v INTEGER)');
      await expect(db.transaction(() => db.run('INSERT INTO t VALUES (1)'))).rejects.toThrow(/inside a transaction/);
      await expect(db.transaction(() => db.transaction(async () => 1))).rejects.toThrow(/inside a transaction/);
      await expect(db.transaction(() => db.get('SELECT 1'))).rejects.toThrow(/inside a transaction/);
      // and the lock was released each time
      await db.run('INSERT INTO t VALUES (2)');
      expect(await db.all('SELECT v FROM t')).toEqual([{ v: 2 }]);
    });
  });

  it('refuses a transaction handle used after the transaction ended', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v INTEGER)');
      let leaked: { run: (sql: string) => Promise<unknown> } | undefined;
      await db.transaction(async (tx) => {
        leaked = tx;
      });
      await expect(leaked!.run('INSERT INTO t VALUES (1)')).rejects.toThrow(/after its transaction ended/);
      expect(await db.all('SELECT v FROM t')).toEqual([]);
    });
  });

  it('serialises writers across two connections to the same file (two processes)', async () => {
    const path = join(tempDir(), 'shared.db');
    const a = await openDatabase(path);
    const b = await openDatabase(path);
    try {
      await a.exec('CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);');
      const bump = (db: Database) =>
        db.transaction(async (tx) => {
          const row = await tx.get<{ n: number }>('SELECT n FROM counter');
          await sleep(1);
          await tx.run('UPDATE counter SET n = ?', [row!.n + 1]);
        });
      await Promise.all(Array.from({ length: 30 }, (_, i) => bump(i % 2 ? a : b)));
      expect(await a.get('SELECT n FROM counter')).toEqual({ n: 30 });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('streaming and lifecycle', () => {
  it('iterate streams every row and closes its statement when the consumer stops early', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v INTEGER)');
      await db.transaction(async (tx) => {
        for (let i = 0; i < 300; i++) await tx.run('INSERT INTO t VALUES (?)', [i]);
      });
      let sum = 0;
      for await (const row of db.iterate<{ v: number }>('SELECT v FROM t ORDER BY v')) sum += row.v;
      expect(sum).toBe((299 * 300) / 2);
      const firstFew: number[] = [];
      for await (const row of db.iterate<{ v: number }>('SELECT v FROM t WHERE v >= ? ORDER BY v', [100])) {
        firstFew.push(row.v);
        if (firstFew.length === 3) break;
      }
      expect(firstFew).toEqual([100, 101, 102]);
      await db.run('DELETE FROM t'); // nothing left holding the table
    });
  });

  it('keysetPages walks a table in bounded pages', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      await db.transaction(async (tx) => {
        for (let i = 1; i <= 25; i++) await tx.run('INSERT INTO t VALUES (?)', [i]);
      });
      const sizes: number[] = [];
      const ids: number[] = [];
      for await (const page of keysetPages<{ id: number }>(db, 10, (last) => ({ sql: 'SELECT id FROM t WHERE id > ? ORDER BY id LIMIT 10', params: [last?.id ?? 0] }))) {
        sizes.push(page.length);
        ids.push(...page.map((r) => r.id));
      }
      expect(sizes).toEqual([10, 10, 5]);
      expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      // stopping early (with the next page already prefetched) leaves the database usable
      for await (const page of keysetPages<{ id: number }>(db, 10, (last) => ({ sql: 'SELECT id FROM t WHERE id > ? ORDER BY id LIMIT 10', params: [last?.id ?? 0] }))) {
        expect(page).toHaveLength(10);
        break;
      }
      await db.run('DELETE FROM t');
      expect(await db.all('SELECT id FROM t')).toEqual([]);
    });
  });

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

  it('finishes in-flight writes on close and rejects later calls', async () => {
    const db = await openDatabase(join(tempDir(), 'c.db'));
    await db.exec('CREATE TABLE t (v INTEGER)');
    const pending = db.run('INSERT INTO t VALUES (1)');
    await db.close();
    await expect(pending).resolves.toMatchObject({ changes: 1 });
    await expect(db.run('INSERT INTO t VALUES (2)')).rejects.toThrow(/is closed/);
    await expect(db.get('SELECT 1')).rejects.toThrow(/is closed/);
    await db.close(); // idempotent
  });
});

describe('read-your-writes (issue 11, item 1)', () => {
  it('a read after a committed write sees it, even with many concurrent reads on the shared reader', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      await db.run("INSERT INTO t (v) VALUES ('seed')");
      let reading = true;
      const readers = Array.from({ length: 8 }, async () => {
        while (reading) await db.get('SELECT v FROM t WHERE id = 1');
      });
      const misses: number[] = [];
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const { lastID } = await db.run('INSERT INTO t (v) VALUES (?)', [`row-${i}`]);
          if ((await db.get('SELECT v FROM t WHERE id = ?', [lastID])) === undefined) misses.push(lastID);
          if ((await db.fresh.get('SELECT v FROM t WHERE id = ?', [lastID])) === undefined) misses.push(-lastID);
        }),
      );
      reading = false;
      await Promise.all(readers);
      expect(misses).toEqual([]);
    });
  });

  it('fresh reads refuse to run inside a transaction (they would wait on its lock)', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
      await expect(db.transaction(() => db.fresh.get('SELECT 1 AS one'))).rejects.toThrow(/inside a transaction/);
      expect(await db.fresh.all('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    });
  });
});
