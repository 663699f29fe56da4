/**
 * SQLite-specific (adapter test): the writes a connection keeps prepared (SqliteConnection.run).
 * Not in the ELEVATE_TEST_STORE=postgres lane.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEPT_STATEMENTS, SqliteConnection } from '../../src/store/sqlite-connection.ts';
import { useTempDirs } from './store-fixtures.ts';

const tempDir = useTempDirs();
const opened: SqliteConnection[] = [];

/** Two connections on one WAL file, as the service's writer and another process would be. */
async function pair(): Promise<[SqliteConnection, SqliteConnection]> {
  const path = join(tempDir(), 'k.db');
  const writer = await SqliteConnection.open(path, 'readwrite', true);
  opened.push(writer);
  await writer.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 0; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)");
  const other = await SqliteConnection.open(path, 'readwrite', false);
  opened.push(other);
  await other.exec('PRAGMA busy_timeout = 0');
  return [writer, other];
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

describe('SqliteConnection.run keeps writes prepared', () => {
  it('commits each run of a kept statement at once: another connection sees it and can write next', async () => {
    const [writer, other] = await pair();
    const insert = 'INSERT INTO t (v) VALUES (?)';
    for (const v of ['a', 'b', 'c']) {
      expect(await writer.run(insert, [v])).toMatchObject({ changes: 1 });
      // No write lock left behind by the statement that was not reset: the other connection,
      // with no busy timeout, would fail with SQLITE_BUSY if it were.
      await other.run('UPDATE t SET v = v WHERE 0');
      expect(await other.get<{ n: number }>('SELECT count(*) AS n FROM t')).toEqual({ n: ['a', 'b', 'c'].indexOf(v) + 1 });
    }
    // the same with a WITH clause, the audit writer's shape
    await writer.run('WITH r(v) AS MATERIALIZED (SELECT value FROM json_each(?)) INSERT INTO t (v) SELECT v FROM r', [JSON.stringify(['d', 'e'])]);
    expect(await other.get<{ n: number }>('SELECT count(*) AS n FROM t')).toEqual({ n: 5 });
    await other.run("INSERT INTO t (v) VALUES ('from-other')");
    // Nor a read snapshot: a checkpoint that must wait for every reader to leave the WAL
    // completes (busy 0), so kept statements never make the WAL grow unchecked.
    expect(await other.get('PRAGMA wal_checkpoint(TRUNCATE)')).toMatchObject({ busy: 0 });
  });

  it('reports lastID and changes of each run, as a one-off run does', async () => {
    const [writer] = await pair();
    expect(await writer.run('INSERT INTO t (v) VALUES (?)', ['x'])).toEqual({ changes: 1, lastID: 1 });
    expect(await writer.run('INSERT INTO t (v) VALUES (?)', ['y'])).toEqual({ changes: 1, lastID: 2 });
    expect(await writer.run("UPDATE t SET v = v || '!' WHERE id >= ?", [1])).toMatchObject({ changes: 2 });
    expect(await writer.run("UPDATE t SET v = v || '!' WHERE id >= ?", [9])).toMatchObject({ changes: 0 });
  });

  it('never keeps a write that returns rows, which would hold its transaction open until reset', async () => {
    const [writer, other] = await pair();
    await writer.run('INSERT INTO t (v) VALUES (?) RETURNING id', ['r1']);
    await writer.run('INSERT INTO t (v) VALUES (?) RETURNING id', ['r2']);
    await other.run("INSERT INTO t (v) VALUES ('after')");
    expect(await other.get<{ n: number }>('SELECT count(*) AS n FROM t')).toEqual({ n: 3 });
  });

  it('rejects a run whose statement fails to prepare, without hanging, and keeps working', async () => {
    const [writer] = await pair();
    await expect(writer.run('INSERT INTO missing_table (v) VALUES (?)', ['x'])).rejects.toThrow(/no such table/);
    // two runs of one bad text at once share its failed preparation; neither hangs
    const both = await Promise.allSettled([writer.run('INSERT INTO nope (v) VALUES (1)'), writer.run('INSERT INTO nope (v) VALUES (1)')]);
    expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    // the bad text is not kept: once the table exists, the same text runs
    await writer.exec('CREATE TABLE missing_table (v TEXT)');
    await expect(writer.run('INSERT INTO missing_table (v) VALUES (?)', ['x'])).resolves.toMatchObject({ changes: 1 });
  });

  it('rejects a run that breaks a constraint and runs the same kept statement again afterwards', async () => {
    const [writer, other] = await pair();
    const insert = 'INSERT INTO t (v) VALUES (?)';
    await writer.run(insert, ['dup']);
    await expect(writer.run(insert, ['dup'])).rejects.toThrow(/UNIQUE constraint failed/);
    await other.run("INSERT INTO t (v) VALUES ('other')");
    await expect(writer.run(insert, ['fresh'])).resolves.toMatchObject({ changes: 1 });
    expect(await other.all('SELECT v FROM t ORDER BY id')).toEqual([{ v: 'dup' }, { v: 'other' }, { v: 'fresh' }]);
  });

  it('keeps at most KEPT_STATEMENTS texts, finalizing the least recently used, and closes cleanly', async () => {
    const [writer] = await pair();
    // More distinct texts than are kept, each run twice, concurrently: an evicted statement's
    // queued runs still finish, and every run lands once.
    const texts = Array.from({ length: KEPT_STATEMENTS * 2 + 5 }, (_, i) => `INSERT INTO t (v) VALUES (? || '-${i}')`);
    await Promise.all(texts.flatMap((sql) => [writer.run(sql, ['a']), writer.run(sql, ['b'])]));
    expect(await writer.get<{ n: number }>('SELECT count(*) AS n FROM t')).toEqual({ n: texts.length * 2 });
    // close() finalizes what is kept; SQLite refuses to close a connection with open statements
    await writer.close();
    opened.splice(opened.indexOf(writer), 1);
  });
});
