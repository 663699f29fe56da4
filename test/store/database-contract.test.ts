/**
 * The storage port's contract, run on both adapters: the behaviour the use cases rely on must not
 * depend on which database they run on (issue 16). Adapter-specific behaviour lives in
 * database.sqlite.test.ts (SQLite) and postgres-database.test.ts (PostgreSQL).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { keysetPages } from '../../src/store/keyset-pages.ts';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import { isUniqueViolation } from '../../src/store/unique-violation.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { useTempDirs } from './store-fixtures.ts';

const tempDir = useTempDirs();
const yieldToOthers = () => new Promise((r) => setImmediate(r));

interface Adapter {
  name: string;
  /** Column type for binary data. */
  blob: string;
  /** A fresh empty database, and a way to open a second handle on it (another instance). */
  fresh(): Promise<{ db: Database; openAnother(): Promise<Database> }>;
}

const pgDatabases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(pgDatabases.map((d) => d.drop()));
});

const adapters: Adapter[] = [
  {
    name: 'SQLite',
    blob: 'BLOB',
    async fresh() {
      const path = join(tempDir(), 'contract.db');
      return { db: await openDatabase(path), openAnother: () => openDatabase(path) };
    },
  },
  {
    name: 'PostgreSQL',
    blob: 'BYTEA',
    async fresh() {
      const t = await createTestDatabase('elevate_contract');
      pgDatabases.push(t);
      return { db: await openPostgresDatabase(t.url, { poolSize: 4 }), openAnother: () => openPostgresDatabase(t.url, { poolSize: 4 }) };
    },
  },
];

describe.each(adapters)('the Database port on $name', (adapter) => {
  async function withDb<T>(fn: (db: Database, openAnother: () => Promise<Database>) => Promise<T>): Promise<T> {
    const { db, openAnother } = await adapter.fresh();
    try {
      return await fn(db, openAnother);
    } finally {
      await db.close();
    }
  }

  describe('statements', () => {
    it('run reports the rows changed, so compare-and-set lets exactly one racer win', async () => {
      await withDb(async (db) => {
        await db.exec("CREATE TABLE req (id TEXT PRIMARY KEY, state TEXT NOT NULL); INSERT INTO req VALUES ('r1', 'pending');");
        const cas = (to: string) => db.run('UPDATE req SET state = ? WHERE id = ? AND state = ?', [to, 'r1', 'pending']);
        const results = await Promise.all(['approved', 'denied', 'expired', 'approved'].map(cas));
        expect(results.map((r) => r.changes).sort()).toEqual([0, 0, 0, 1]);
        expect((await db.run('INSERT INTO req VALUES (?, ?), (?, ?)', ['r2', 'x', 'r3', 'x'])).changes).toBe(2);
        expect((await db.run("UPDATE req SET state = 'y' WHERE state = 'x'")).changes).toBe(2);
        expect((await db.run("DELETE FROM req WHERE id = 'none'")).changes).toBe(0);
      });
    });

    it('binds positional and named parameters and never interpolates them', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
        const hostile = "x'); DROP TABLE t; --";
        await db.run('INSERT INTO t (id, v) VALUES (?, ?)', [1, hostile]);
        await db.run('INSERT INTO t (id, v) VALUES ($id, $v)', { $id: 2, $v: 'dollar' });
        await db.run('INSERT INTO t (id, v) VALUES (:id, :v)', { ':id': 3, ':v': 'colon' });
        await db.run('INSERT INTO t (id, v) VALUES (@id, @v)', { '@id': 4, '@v': "it's ? and :v" });
        expect(await db.all('SELECT id, v FROM t ORDER BY id')).toEqual([
          { id: 1, v: hostile },
          { id: 2, v: 'dollar' },
          { id: 3, v: 'colon' },
          { id: 4, v: "it's ? and :v" },
        ]);
        expect(await db.get("SELECT v FROM t WHERE v = 'it''s ? and :v' AND id = ?", [4])).toEqual({ v: "it's ? and :v" });
        expect(await db.all('SELECT id FROM t WHERE v = ?1 OR id = ?2 OR v = ?1 ORDER BY id', ['dollar', 4])).toEqual([{ id: 2 }, { id: 4 }]);
      });
    });

    it('get gives the first row or undefined; all gives every row or none', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
        expect(await db.get('SELECT v FROM t')).toBeUndefined();
        expect(await db.all('SELECT v FROM t')).toEqual([]);
        await db.run('INSERT INTO t (id, v) VALUES (?, ?), (?, ?)', [1, 'a', 2, 'b']);
        expect(await db.get('SELECT v FROM t ORDER BY id')).toEqual({ v: 'a' });
        expect(await db.all('SELECT v FROM t ORDER BY id DESC')).toEqual([{ v: 'b' }, { v: 'a' }]);
      });
    });

    it('returns the same JS values: integers and counts as numbers, text, NULL, binary as Buffer, booleans as 1/0', async () => {
      await withDb(async (db) => {
        await db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, big BIGINT, flag INTEGER NOT NULL, label TEXT, data ${adapter.blob})`);
        const bytes = Buffer.from([0, 1, 2, 255]);
        await db.run('INSERT INTO t (id, big, flag, label, data) VALUES (?, ?, ?, ?, ?)', [1, 2 ** 40, true, null, bytes]);
        await db.run('INSERT INTO t (id, big, flag, label, data) VALUES (?, ?, ?, ?, ?)', [2, 7, false, 'x', new Uint8Array([9])]);
        const rows = await db.all<{ id: number; big: number; flag: number; label: string | null; data: Buffer }>('SELECT id, big, flag, label, data FROM t ORDER BY id');
        expect(rows).toEqual([
          { id: 1, big: 2 ** 40, flag: 1, label: null, data: bytes },
          { id: 2, big: 7, flag: 0, label: 'x', data: Buffer.from([9]) },
        ]);
        expect(Buffer.isBuffer(rows[0]!.data)).toBe(true);
        expect(await db.get('SELECT COUNT(*) AS n, SUM(big) AS total, MAX(id) AS top FROM t')).toEqual({ n: 2, total: 2 ** 40 + 7, top: 2 });
        expect(await db.get('SELECT COUNT(*) AS n FROM t WHERE flag = ?', [true])).toEqual({ n: 1 });
      });
    });

    it('reports SQL errors and constraint violations as rejections', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
        await expect(db.get('SELECT * FROM missing')).rejects.toThrow();
        await expect(db.run('NOT SQL')).rejects.toThrow();
        await db.run('INSERT INTO t (id, v) VALUES (1, ?)', ['a']);
        await expect(db.run('INSERT INTO t (id, v) VALUES (1, ?)', ['b'])).rejects.toThrow();
        await expect(db.run('INSERT INTO t (id, v) VALUES (2, NULL)')).rejects.toThrow();
        expect(await db.all('SELECT id, v FROM t')).toEqual([{ id: 1, v: 'a' }]);
      });
    });

    it('isUniqueViolation recognises a duplicate key or unique value, and nothing else', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)');
        await db.run('INSERT INTO t (id, name) VALUES (1, ?)', ['a']);
        const failure = (sql: string, params: (string | number | null)[]) => db.run(sql, params).then(() => undefined, (err: unknown) => err);
        expect(isUniqueViolation(await failure('INSERT INTO t (id, name) VALUES (?, ?)', [1, 'b']))).toBe(true);
        expect(isUniqueViolation(await failure('INSERT INTO t (id, name) VALUES (?, ?)', [2, 'a']))).toBe(true);
        await db.transaction(async (tx) => {
          const err = await tx.run('INSERT INTO t (id, name) VALUES (?, ?)', [1, 'c']).then(() => undefined, (e: unknown) => e);
          expect(isUniqueViolation(err)).toBe(true);
          throw err;
        }).catch(() => undefined);
        expect(isUniqueViolation(await failure('INSERT INTO t (id, name) VALUES (?, ?)', [3, null]))).toBe(false);
        expect(isUniqueViolation(await failure('INSERT INTO nowhere (id) VALUES (?)', [1]))).toBe(false);
        expect(isUniqueViolation(new Error('unique'))).toBe(false);
        expect(isUniqueViolation('UNIQUE constraint failed')).toBe(false);
      });
    });

    it('plain reads cannot write: a write through get or all outside a transaction is refused', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (v INTEGER)');
        await expect(db.get('INSERT INTO t (v) VALUES (1) RETURNING v')).rejects.toThrow(/SQLITE_READONLY|read-only transaction/);
        await expect(db.all('DELETE FROM t RETURNING v')).rejects.toThrow(/SQLITE_READONLY|read-only transaction/);
        expect(await db.transaction((tx) => tx.get('INSERT INTO t (v) VALUES (2) RETURNING v'))).toEqual({ v: 2 });
        expect(await db.all('SELECT v FROM t')).toEqual([{ v: 2 }]);
      });
    });

    it('exec runs a script of several statements', async () => {
      await withDb(async (db) => {
        await db.exec(`
          CREATE TABLE a (id INTEGER PRIMARY KEY);
          CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a (id));
          INSERT INTO a (id) VALUES (1);
          INSERT INTO b (id, a_id) VALUES (10, 1);
        `);
        expect(await db.all('SELECT a.id AS a, b.id AS b FROM a JOIN b ON b.a_id = a.id')).toEqual([{ a: 1, b: 10 }]);
        await expect(db.run('INSERT INTO b (id, a_id) VALUES (11, 42)')).rejects.toThrow(); // foreign keys are enforced
      });
    });
  });

  describe('transactions', () => {
    it('commit on success with the callback\'s result, and roll back everything on a throw', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (v INTEGER)');
        const result = await db.transaction(async (tx) => {
          await tx.run('INSERT INTO t VALUES (1)');
          await tx.run('INSERT INTO t VALUES (?)', [2]);
          return (await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM t'))!.n;
        });
        expect(result).toBe(2);
        await expect(
          db.transaction(async (tx) => {
            await tx.run('INSERT INTO t VALUES (3)');
            await tx.exec('INSERT INTO t VALUES (4)');
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        expect(await db.all('SELECT v FROM t ORDER BY v')).toEqual([{ v: 1 }, { v: 2 }]);
      });
    });

    it('roll back when a statement inside fails and the callback lets the error through', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
        await expect(
          db.transaction(async (tx) => {
            await tx.run('INSERT INTO t (id) VALUES (1)');
            await tx.run('INSERT INTO t (id) VALUES (1)');
          }),
        ).rejects.toThrow();
        expect(await db.all('SELECT id FROM t')).toEqual([]);
        await db.run('INSERT INTO t (id) VALUES (1)'); // and the database is usable afterwards
      });
    });

    it('never interleave, and a failing one undoes only its own writes', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (flow INTEGER, step INTEGER)');
        const flows = Array.from({ length: 30 }, (_, flow) =>
          db.transaction(async (tx) => {
            for (let step = 0; step < 4; step++) {
              await tx.run('INSERT INTO t VALUES (?, ?)', [flow, step]);
              await yieldToOthers();
            }
            // a flow sees its own rows, and only complete other flows
            const counts = await tx.all<{ flow: number; n: number }>('SELECT flow, COUNT(*) AS n FROM t GROUP BY flow');
            for (const c of counts) expect(c.n).toBe(4);
            if (flow % 7 === 0) throw new Error(`flow ${flow} fails`);
          }),
        );
        const results = await Promise.allSettled(flows);
        expect(results.filter((r) => r.status === 'rejected')).toHaveLength(5);
        const counts = await db.all<{ flow: number; n: number }>('SELECT flow, COUNT(*) AS n FROM t GROUP BY flow ORDER BY flow');
        expect(counts.map((c) => c.flow)).toEqual(Array.from({ length: 30 }, (_, f) => f).filter((f) => f % 7 !== 0));
        for (const c of counts) expect(c.n).toBe(4);
      });
    });

    it('keep plain writes from other flows out of an open transaction', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (v TEXT)');
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let entered!: () => void;
        const inside = new Promise<void>((r) => (entered = r));
        const tx = db.transaction(async (t) => {
          await t.run("INSERT INTO t VALUES ('tx')");
          entered();
          await gate;
          throw new Error('roll back');
        });
        await inside;
        const outside = db.run("INSERT INTO t VALUES ('outside')");
        await yieldToOthers();
        release();
        await expect(tx).rejects.toThrow('roll back');
        await outside;
        expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'outside' }]);
      });
    });

    it('let readers see only committed data while a transaction is open, without waiting for it', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (v INTEGER)');
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        let entered!: () => void;
        const inside = new Promise<void>((r) => (entered = r));
        let seenInside: unknown;
        const tx = db.transaction(async (t) => {
          await t.run('INSERT INTO t VALUES (1)');
          seenInside = await t.all('SELECT v FROM t');
          entered();
          await gate;
        });
        await inside;
        expect(await db.all('SELECT v FROM t')).toEqual([]); // not blocked, not dirty
        expect(await db.get('SELECT v FROM t')).toBeUndefined();
        release();
        await tx;
        expect(seenInside).toEqual([{ v: 1 }]);
        expect(await db.all('SELECT v FROM t')).toEqual([{ v: 1 }]);
      });
    });

    it('refuse the database itself inside a transaction (nesting included) instead of deadlocking', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (v INTEGER)');
        const inside = /inside a transaction: use the transaction handle/;
        await expect(db.transaction(() => db.run('INSERT INTO t VALUES (1)'))).rejects.toThrow(inside);
        await expect(db.transaction(() => db.exec('INSERT INTO t VALUES (1)'))).rejects.toThrow(inside);
        await expect(db.transaction(() => db.transaction(async () => 1))).rejects.toThrow(inside);
        await expect(db.transaction(() => db.get('SELECT 1'))).rejects.toThrow(inside);
        await expect(db.transaction(() => db.all('SELECT 1'))).rejects.toThrow(inside);
        await expect(db.transaction(() => db.fresh.get('SELECT 1'))).rejects.toThrow(inside);
        await expect(
          db.transaction(async () => {
            for await (const _ of db.iterate('SELECT 1')) break;
          }),
        ).rejects.toThrow(inside);
        // the refusals released the lock and rolled back
        await db.run('INSERT INTO t VALUES (2)');
        expect(await db.all('SELECT v FROM t')).toEqual([{ v: 2 }]);
      });
    });

    it('refuse a transaction handle used after its transaction ended', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (v INTEGER)');
        let leaked: Database | undefined;
        await db.transaction(async (tx) => {
          leaked = tx as Database;
        });
        for (const call of [() => leaked!.run('INSERT INTO t VALUES (1)'), () => leaked!.get('SELECT 1'), () => leaked!.all('SELECT 1'), () => leaked!.exec('SELECT 1')]) {
          await expect(call()).rejects.toThrow(new StoreError('transaction handle used after its transaction ended'));
        }
        expect(await db.all('SELECT v FROM t')).toEqual([]);
      });
    });

    it('serialise read-modify-write transactions across two handles on one database (two instances)', async () => {
      await withDb(async (a, openAnother) => {
        const b = await openAnother();
        try {
          await a.exec('CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);');
          const bump = (db: Database) =>
            db.transaction(async (tx) => {
              const row = await tx.get<{ n: number }>('SELECT n FROM counter');
              await yieldToOthers();
              await tx.run('UPDATE counter SET n = ?', [row!.n + 1]);
            });
          await Promise.all(Array.from({ length: 30 }, (_, i) => bump(i % 2 ? a : b)));
          expect(await a.get('SELECT n FROM counter')).toEqual({ n: 30 });
          expect(await b.fresh.get('SELECT n FROM counter')).toEqual({ n: 30 });
        } finally {
          await b.close();
        }
      });
    });
  });

  describe('reads after writes', () => {
    it('a read after a resolved write sees it, with many concurrent readers', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
        await db.run("INSERT INTO t (id, v) VALUES (0, 'seed')");
        let reading = true;
        const readers = Array.from({ length: 4 }, async () => {
          while (reading) await db.get('SELECT v FROM t WHERE id = 0');
        });
        const misses: number[] = [];
        await Promise.all(
          Array.from({ length: 100 }, async (_, i) => {
            const id = i + 1;
            await db.run('INSERT INTO t (id, v) VALUES (?, ?)', [id, `row-${i}`]);
            if ((await db.get('SELECT v FROM t WHERE id = ?', [id])) === undefined) misses.push(id);
            if ((await db.fresh.get('SELECT v FROM t WHERE id = ?', [id])) === undefined) misses.push(-id);
            if ((await db.fresh.all('SELECT v FROM t WHERE id = ?', [id])).length !== 1) misses.push(-id);
          }),
        );
        reading = false;
        await Promise.all(readers);
        expect(misses).toEqual([]);
      });
    });
  });

  describe('streaming and lifecycle', () => {
    it('iterate streams every row and releases its resources when the consumer stops early', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (v INTEGER)');
        await db.transaction(async (tx) => {
          for (let i = 0; i < 450; i++) await tx.run('INSERT INTO t VALUES (?)', [i]);
        });
        let sum = 0;
        let count = 0;
        for await (const row of db.iterate<{ v: number }>('SELECT v FROM t ORDER BY v')) {
          sum += row.v;
          count++;
        }
        expect({ sum, count }).toEqual({ sum: (449 * 450) / 2, count: 450 });
        for (let round = 0; round < 6; round++) {
          const firstFew: number[] = [];
          for await (const row of db.iterate<{ v: number }>('SELECT v FROM t WHERE v >= ? ORDER BY v', [100])) {
            firstFew.push(row.v);
            if (firstFew.length === 3) break;
          }
          expect(firstFew).toEqual([100, 101, 102]);
        }
        const none: unknown[] = [];
        for await (const row of db.iterate('SELECT v FROM t WHERE v < ?', [0])) none.push(row);
        expect(none).toEqual([]);
        await db.run('DELETE FROM t'); // nothing left holding the table
        expect(await db.all('SELECT v FROM t')).toEqual([]);
      });
    });

    it('iterate reports a bad statement as a rejection and stays usable', async () => {
      await withDb(async (db) => {
        const consume = async () => {
          for await (const _ of db.iterate('SELECT * FROM missing')) void _;
        };
        await expect(consume()).rejects.toThrow();
        await expect(consume()).rejects.toThrow();
        expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
      });
    });

    it('keysetPages walks a table in bounded pages and can stop early', async () => {
      await withDb(async (db) => {
        await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
        await db.transaction(async (tx) => {
          for (let i = 1; i <= 25; i++) await tx.run('INSERT INTO t (id) VALUES (?)', [i]);
        });
        const page = (last: { id: number } | undefined) => ({ sql: 'SELECT id FROM t WHERE id > ? ORDER BY id LIMIT 10', params: [last?.id ?? 0] });
        const sizes: number[] = [];
        const ids: number[] = [];
        for await (const rows of keysetPages<{ id: number }>(db, 10, page)) {
          sizes.push(rows.length);
          ids.push(...rows.map((r) => r.id));
        }
        expect(sizes).toEqual([10, 10, 5]);
        expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
        for await (const rows of keysetPages<{ id: number }>(db, 10, page)) {
          expect(rows).toHaveLength(10);
          break;
        }
        await db.run('DELETE FROM t');
        expect(await db.all('SELECT id FROM t')).toEqual([]);
      });
    });

    it('close lets in-flight writes finish, rejects later calls and may be called again', async () => {
      const { db } = await adapter.fresh();
      await db.exec('CREATE TABLE t (v INTEGER)');
      const pending = db.run('INSERT INTO t VALUES (1)');
      await db.close();
      await expect(pending).resolves.toMatchObject({ changes: 1 });
      await expect(db.run('INSERT INTO t VALUES (2)')).rejects.toThrow(/is closed/);
      await expect(db.get('SELECT 1')).rejects.toThrow(/is closed/);
      await expect(db.transaction(async () => 1)).rejects.toThrow(/is closed/);
      await db.close();
    });
  });
});
