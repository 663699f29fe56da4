/**
 * The dialects' canonical JSON (the audit verify's fast pre-check) against RFC 8785 as the JS
 * canonicalizer writes it, on both engines, over the strings an attacker would put in an entry.
 */
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { useTempDirs } from './store-fixtures.ts';

const tempDir = useTempDirs();
const dbs: Database[] = [];
const pgDatabases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(dbs.map((d) => d.close()));
  await Promise.all(pgDatabases.map((d) => d.drop()));
});

const STRINGS = [
  'plain',
  '',
  'quote " and backslash \\ and slash /',
  'controls \b \f \n \r \t \u0000 \u0001 \u001f \u007f',
  'unicode é ü 漢字 \u2028 \u2029 😀',
  '{"details":"json inside"}',
  "single ' quote",
];

const engines = [
  { name: 'SQLite', open: async () => openDatabase(join(tempDir(), 'd.db')) },
  {
    name: 'PostgreSQL',
    open: async () => {
      const t = await createTestDatabase('elevate_dialect');
      pgDatabases.push(t);
      return openPostgresDatabase(t.url, { poolSize: 2 });
    },
  },
];

describe.each(engines)('canonicalJsonObject on $name', (engine) => {
  it('builds exactly the RFC 8785 text of a flat object of text, integers and nulls', async () => {
    const db = await engine.open();
    dbs.push(db);
    const sql = db.dialect.canonicalJsonObject([
      ['a_text', 't'],
      ['b_int', 'n'],
      ['c_null', 'z'],
    ]);
    expect(sql).toBeDefined();
    await db.exec('CREATE TABLE t_dialect (t TEXT, n BIGINT, z TEXT)');
    for (const [i, s] of STRINGS.entries()) {
      await db.run('INSERT INTO t_dialect (t, n, z) VALUES (?, ?, NULL)', [s.replace(/\u0000/g, ''), i * 1_000_000_007]);
    }
    const rows = await db.all<{ t: string; n: number; j: string }>(`SELECT t, n, ${sql} AS j FROM t_dialect ORDER BY n`);
    expect(rows).toHaveLength(STRINGS.length);
    for (const row of rows) expect(row.j).toBe(canonicalize({ a_text: row.t, b_int: row.n, c_null: null }));
  });
});

describe.each(engines)('insertJsonRows on $name', (engine) => {
  it('stores each value of the JSON rows exactly as binding it would: text, integers and null, hostile strings included', async () => {
    const db = await engine.open();
    dbs.push(db);
    await db.exec('CREATE TABLE t_rows (n BIGINT NOT NULL, t TEXT, z TEXT)');
    const sql = db.dialect.insertJsonRows('t_rows', ['n', 't', 'z']);
    // NUL is not text on PostgreSQL (audit columns record it as U+FFFD before they get here).
    const strings = STRINGS.map((s) => s.replace(/\u0000/g, ''));
    const rows = strings.map((t, i) => ({ n: Number.MAX_SAFE_INTEGER - i, t, z: null }));
    const result = await db.run(sql, [JSON.stringify(rows)]);
    expect(result.changes).toBe(rows.length);
    // The same values, bound one by one, for comparison.
    for (const [i, t] of strings.entries()) await db.run('INSERT INTO t_rows (n, t, z) VALUES (?, ?, NULL)', [i, t]);
    const stored = await db.all<{ n: number | string; t: string; z: null }>('SELECT n, t, z FROM t_rows ORDER BY n DESC');
    const fromJson = stored.slice(0, rows.length);
    const bound = stored.slice(rows.length).reverse();
    expect(fromJson.map((r) => [Number(r.n), r.t, r.z])).toEqual(rows.map((r) => [r.n, r.t, null]));
    expect(fromJson.map((r) => r.t)).toEqual(bound.map((r) => r.t));
    // Integers stay integers (SQLite's typeof; PostgreSQL's column type does it).
    const types = await db.all<{ k: string }>(engine.name === 'SQLite' ? 'SELECT typeof(n) AS k FROM t_rows' : 'SELECT pg_typeof(n)::text AS k FROM t_rows');
    expect(new Set(types.map((r) => r.k))).toEqual(new Set([engine.name === 'SQLite' ? 'integer' : 'bigint']));
  });

  it('inserts nothing from an empty array, and fails the whole statement on a bad row', async () => {
    const db = await engine.open();
    dbs.push(db);
    await db.exec('CREATE TABLE t_strict (n BIGINT NOT NULL, t TEXT)');
    const sql = db.dialect.insertJsonRows('t_strict', ['n', 't']);
    expect((await db.run(sql, ['[]'])).changes).toBe(0);
    await expect(db.run(sql, [JSON.stringify([{ n: 1, t: 'a' }, { n: null, t: 'b' }])])).rejects.toThrow(/NOT NULL|null value/i);
    expect(await db.all('SELECT n FROM t_strict')).toEqual([]);
  });
});

describe.each(engines)('textOfLength on $name', (engine) => {
  it('holds only for text of exactly that many characters, on SQLite not for a number or blob of that length', async () => {
    const db = await engine.open();
    dbs.push(db);
    const postgres = db.path.startsWith('postgres');
    // Untyped on SQLite, as a tamperer's rebuilt table can be: any storage class goes in.
    await db.exec(`CREATE TABLE t_len (k INTEGER NOT NULL, v ${postgres ? 'TEXT' : ''})`);
    const values: unknown[] = ['abc', 'ab', 'abcd', '', null, 'é😀c'];
    if (!postgres) values.push(123, Buffer.from('abc'));
    for (const [k, v] of values.entries()) await db.run('INSERT INTO t_len (k, v) VALUES (?, ?)', [k, v as string]);
    const rows = await db.all<{ k: number }>(`SELECT k FROM t_len WHERE ${db.dialect.textOfLength('v', 3)} ORDER BY k`);
    // Characters, not bytes or UTF-16 units, on both engines: 'é😀c' is three.
    expect(rows.map((r) => Number(r.k))).toEqual([0, 5]);
  });
});
