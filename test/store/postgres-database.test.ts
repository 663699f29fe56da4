/**
 * PostgreSQL-specific behaviour of the storage port's pg adapter. What both adapters share is in
 * database-contract.test.ts.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Queryable } from '../../src/store/database.ts';
import { POSTGRES_ENTRA_SCOPE } from '../../src/store/entra-database-password.ts';
import { openPostgresDatabase, WRITE_LOCK_KEY } from '../../src/store/postgres-database.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';

let testDb: TestDatabase;
beforeAll(async () => {
  testDb = await createTestDatabase('elevate_pg_adapter');
});
afterAll(async () => {
  await testDb?.drop();
});

const yieldToOthers = () => new Promise((r) => setImmediate(r));

async function withDb<T>(fn: (db: Database) => Promise<T>, table = 't'): Promise<T> {
  const db = await openPostgresDatabase(testDb.url, { poolSize: 3 });
  try {
    await db.exec(`DROP TABLE IF EXISTS ${table}`);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Polls `check` until it holds, yielding between tries: waits on the server, asserts no timing. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

/** Opens a write transaction on `db` that holds the write lock until `release` (after `first`, inside it). */
async function holdWriteLock(db: Database, first?: (tx: Queryable) => Promise<unknown>): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const done = db.transaction(async (tx) => {
    await first?.(tx);
    entered();
    await gate;
  });
  await inside;
  return { release, done };
}

describe('openPostgresDatabase', () => {
  it('names the database by its URL without the password', async () => {
    await withDb(async (db) => {
      const url = new URL(testDb.url);
      expect(db.path).toBe(`postgres://elevate@${url.host}/${testDb.name}`);
      expect(db.path).not.toContain(decodeURIComponent(url.password));
      expect(db.readonly).toBe(false);
    });
  });

  it('fails at open on a wrong password, without echoing either password', async () => {
    const url = new URL(testDb.url);
    const real = decodeURIComponent(url.password);
    url.password = 'not-the-password';
    const err = await openPostgresDatabase(url.toString()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(new RegExp(`^database postgres://elevate@${url.host}/${testDb.name}: cannot connect \\(password authentication failed`));
    expect((err as Error).message).not.toContain('not-the-password');
    expect((err as Error).message).not.toContain(real);
  });

  it('fails closed when TLS is asked for and the server has none', async () => {
    const url = new URL(testDb.url);
    url.searchParams.set('sslmode', 'verify-full');
    await expect(openPostgresDatabase(url.toString())).rejects.toThrow(/cannot connect \(The server does not support SSL connections\)/);
  });

  it('refuses Entra authentication without a credential', async () => {
    const url = new URL(testDb.url);
    url.password = '';
    url.searchParams.set('authentication', 'entra');
    await expect(openPostgresDatabase(url.toString())).rejects.toThrow(new StoreError(`database postgres://elevate@${url.host}/${testDb.name}: authentication=entra needs an Azure credential`));
  });

  it('signs in with the Entra token as the password (a fake credential answers with the test role\'s password)', async () => {
    const url = new URL(testDb.url);
    const secret = decodeURIComponent(url.password);
    url.password = '';
    url.searchParams.set('authentication', 'entra');
    const scopes: (string | string[])[] = [];
    const credential: TokenCredential = {
      async getToken(scope): Promise<AccessToken> {
        scopes.push(scope);
        return { token: secret, expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const db = await openPostgresDatabase(url.toString(), { credential, poolSize: 2 });
    try {
      // two connections at once: the second sign-in reuses the cached token
      const [a, b] = await Promise.all([db.get('SELECT current_user AS who, pg_sleep(0.05)::text AS s'), db.get('SELECT current_user AS who')]);
      expect(a).toMatchObject({ who: 'elevate' });
      expect(b).toEqual({ who: 'elevate' });
      expect(scopes).toEqual([POSTGRES_ENTRA_SCOPE]);
    } finally {
      await db.close();
    }
  });

  it('recovers by itself when the server drops its connections', async () => {
    const idleErrors: Error[] = [];
    const db = await openPostgresDatabase(testDb.url, { poolSize: 2, onIdleConnectionError: (e) => idleErrors.push(e) });
    const admin = new pg.Client({ connectionString: testDb.url });
    await admin.connect();
    try {
      expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [testDb.name]);
      await eventually(async () => idleErrors.length > 0);
      expect(await db.get('SELECT 2 AS two')).toEqual({ two: 2 });
      expect(await db.transaction((tx) => tx.get('SELECT 3 AS three'))).toEqual({ three: 3 });
    } finally {
      await admin.end();
      await db.close();
    }
  });
});

describe('statements on PostgreSQL', () => {
  it('has no lastID: reading it says to use RETURNING, which get supports', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v TEXT)');
      const result = await db.run('INSERT INTO t (v) VALUES (?)', ['a']);
      expect(result).toEqual({ changes: 1 });
      expect({ ...result }).toEqual({ changes: 1 });
      expect(() => result.lastID).toThrow(new StoreError('RunResult.lastID does not exist on PostgreSQL: insert with RETURNING and read the row with get'));
      // get inside a transaction: a write through `get` on the pool would skip the write lock
      const row = await db.transaction((tx) => tx.get<{ id: number }>('INSERT INTO t (v) VALUES (?) RETURNING id', ['b']));
      expect(row).toEqual({ id: 2 });
    });
  });

  it('runs exactly one statement per run/get/all call: a smuggled second one fails and never runs', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v INTEGER)');
      await expect(db.run('INSERT INTO t VALUES (1); DROP TABLE t')).rejects.toThrow(/cannot insert multiple commands into a prepared statement/);
      await expect(db.all('SELECT 1; DROP TABLE t')).rejects.toThrow(/multiple commands/);
      expect(await db.all('SELECT v FROM t')).toEqual([]);
    });
  });

  it('reads booleans as 1/0 and numerics as numbers, and refuses a bigint it cannot represent exactly', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (flag BOOLEAN NOT NULL, amount NUMERIC(10, 2), big BIGINT)');
      await db.run('INSERT INTO t VALUES (?, ?, ?), (?, ?, ?)', [true, 12.5, 2 ** 53 - 1, false, null, 9007199254740993n]);
      expect(await db.all('SELECT flag, amount FROM t ORDER BY flag DESC')).toEqual([
        { flag: 1, amount: 12.5 },
        { flag: 0, amount: null },
      ]);
      expect(await db.get('SELECT AVG(amount) AS avg, COUNT(*) AS n FROM t')).toEqual({ avg: 12.5, n: 2 });
      expect(await db.get('SELECT big FROM t WHERE flag')).toEqual({ big: 2 ** 53 - 1 });
      await expect(db.all('SELECT big FROM t')).rejects.toThrow(new StoreError("a bigint result (9007199254740993) is beyond JavaScript's exact integers"));
      expect(await db.get('SELECT COUNT(*) AS n FROM t WHERE flag = ?', [false])).toEqual({ n: 1 }); // the pool is still fine
    });
  });

  it('refuses a missing parameter value where SQLite would bind NULL', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (a TEXT, b TEXT)');
      await expect(db.run('INSERT INTO t VALUES (?, ?)', ['only one'])).rejects.toThrow(/more \? parameters than the 1 given/);
      await expect(db.run('INSERT INTO t VALUES (:a, :b)', { ':a': 'x' })).rejects.toThrow(/no value given for parameter :b/);
      expect(await db.all('SELECT a FROM t')).toEqual([]);
    });
  });
});

describe('the write lock across instances', () => {
  it('a write on another instance waits for an open transaction\'s advisory lock, then runs', async () => {
    await withDb(async (a) => {
      const b = await openPostgresDatabase(testDb.url, { poolSize: 2 });
      try {
        await a.exec('CREATE TABLE t (v TEXT)');
        const { release, done: tx } = await holdWriteLock(a, (t) => t.run("INSERT INTO t VALUES ('a')"));
        const lockRows = (granted: boolean) =>
          b.all("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND objid = ? AND objsubid = 2 AND granted = ?", [
            WRITE_LOCK_KEY[0],
            WRITE_LOCK_KEY[1],
            granted,
          ]);
        expect(await lockRows(true)).toHaveLength(1);
        const other = b.run("INSERT INTO t VALUES ('b')");
        await eventually(async () => (await lockRows(false)).length === 1); // b's writer queues on the lock
        expect(await b.all('SELECT v FROM t')).toEqual([]); // and reads do not
        release();
        await tx;
        await other;
        expect(await b.all('SELECT v FROM t ORDER BY v')).toEqual([{ v: 'a' }, { v: 'b' }]);
        expect(await lockRows(true)).toEqual([]);
      } finally {
        await b.close();
      }
    });
  });
});

describe('counterWrite on PostgreSQL (shared rate limits)', () => {
  it('does not queue behind the write lock: it commits while another instance holds it open', async () => {
    await withDb(async (a) => {
      const b = await openPostgresDatabase(testDb.url, { poolSize: 2 });
      try {
        await a.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)');
        const { release, done: tx } = await holdWriteLock(a);
        // Resolves although the lock is held: an ordinary write would wait (test above).
        const bump = () => b.counterWrite<{ n: number }>('INSERT INTO t (k, n) VALUES (?, 1) ON CONFLICT (k) DO UPDATE SET n = t.n + 1 RETURNING n', ['x']);
        expect(await bump()).toEqual([{ n: 1 }]);
        expect(await Promise.all([bump(), bump(), bump()])).toHaveLength(3);
        expect(await a.get('SELECT n FROM t WHERE k = ?', ['x'])).toEqual({ n: 4 });
        release();
        await tx;
      } finally {
        await b.close();
      }
    });
  });

  it("runs on read-write sessions with asynchronous commit, while the main pool stays read-only with the server's commit setting", async () => {
    const settings = "SELECT current_setting('synchronous_commit') AS s, current_setting('transaction_read_only') AS ro";
    const plain = new pg.Client({ connectionString: testDb.url });
    await plain.connect();
    const server = (await plain.query<{ s: string }>(settings)).rows[0]!.s;
    await plain.end();
    await withDb(async (db) => {
      expect(await db.counterWrite(settings)).toEqual([{ s: 'off', ro: 'off' }]);
      expect(await db.get(settings)).toEqual({ s: server, ro: 'on' });
    });
  });

  it('runs exactly one statement: a smuggled second one fails and never runs', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v TEXT)');
      await expect(db.counterWrite("INSERT INTO t VALUES ('a'); DROP TABLE t")).rejects.toThrow();
      expect(await db.all('SELECT v FROM t')).toEqual([]);
    });
  });
});

describe('the write lock timeout (SQLite\'s busy timeout)', () => {
  it('is 5 s by default, and a write waiting longer for another instance fails instead of queueing forever', async () => {
    await withDb(async (a) => {
      expect(await a.transaction((tx) => tx.get('SHOW lock_timeout'))).toEqual({ lock_timeout: '5s' });
      const b = await openPostgresDatabase(testDb.url, { poolSize: 2, busyTimeoutMs: 50 });
      try {
        await a.exec('CREATE TABLE t (v TEXT)');
        const { release, done: tx } = await holdWriteLock(a);
        await expect(b.run("INSERT INTO t VALUES ('b')")).rejects.toMatchObject({ code: '55P03' });
        release();
        await tx;
        await b.run("INSERT INTO t VALUES ('b')");
        expect(await b.all('SELECT v FROM t')).toEqual([{ v: 'b' }]);
      } finally {
        await b.close();
      }
    });
  });
});

describe('iterate on PostgreSQL', () => {
  it('reads one snapshot through a cursor: rows committed meanwhile are not mixed in', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v INTEGER)');
      await db.run('INSERT INTO t SELECT generate_series(1, 450)');
      let seen = 0;
      for await (const row of db.iterate<{ v: number }>('SELECT v FROM t ORDER BY v')) {
        if (seen === 0) await db.run('INSERT INTO t VALUES (?)', [1000 + row.v]);
        seen++;
      }
      expect(seen).toBe(450);
      expect(await db.get('SELECT COUNT(*) AS n FROM t')).toEqual({ n: 451 });
    });
  });

  it('gives its connection back to the pool however the consumer ends', async () => {
    await withDb(async (db) => {
      await db.exec('CREATE TABLE t (v INTEGER)');
      await db.run('INSERT INTO t SELECT generate_series(1, 10)');
      // a pool of 3: more early stops and failures than connections would hang if any leaked
      for (let i = 0; i < 5; i++) {
        for await (const _ of db.iterate('SELECT v FROM t')) break;
        await expect(
          (async () => {
            for await (const _ of db.iterate('SELECT v FROM t')) throw new Error('consumer fails');
          })(),
        ).rejects.toThrow('consumer fails');
        await expect((async () => {
          for await (const _ of db.iterate('SELECT 1 / (v - 5) FROM t ORDER BY v')) await yieldToOthers();
        })()).rejects.toThrow(/division by zero/);
      }
      const idle = await db.all<{ n: number }>("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'");
      expect(idle).toEqual([{ n: 0 }]);
    });
  });
});
