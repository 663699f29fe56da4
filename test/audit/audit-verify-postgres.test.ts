/**
 * Adapter-specific (issue 16): chain verification through a PostgreSQL store (the pre-check text
 * built by PostgreSQL, no SQLite file ever opened) finds the same breaks as on SQLite.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import { startPooledRangeChecks } from '../../src/audit/audit-verify-pooled.ts';
import { rangePageSql } from '../../src/audit/audit-verify-ranges.ts';
import { verifyChain } from '../../src/audit/audit-verify.ts';
import type { Database } from '../../src/store/database.ts';
import { openPostgresStore } from '../../src/store/open-store.ts';
import { parsePostgresUrl } from '../../src/store/postgres-url.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { sampleInput, steppingClock } from './audit-fixtures.ts';

let database: TestDatabase;
let db: Database;
let audit: AuditLog;
const N = 12;

beforeAll(async () => {
  database = await createTestDatabase('elevate_verify');
  db = await openPostgresStore(parsePostgresUrl(database.url));
  audit = createAuditLog(db, { clock: steppingClock() });
  for (let i = 0; i < N; i++) await audit.append(sampleInput(i));
}, 60_000);

afterAll(async () => {
  await db?.close();
  await database?.drop();
});

/** As a tamperer with the table owner's rights: the append-only triggers switched off for one statement. */
async function tamper(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: database.url });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await c.query(sql);
    await c.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
}

describe('audit chain verification on PostgreSQL', () => {
  it('verifies an intact chain, every entry', async () => {
    expect(db.dialect.file).toBeUndefined();
    expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: N, lastSeq: N });
  });

  it('pre-checks ranges over the pool: every intact range is accepted whole, and small ranges join to the same answer', async () => {
    const sql = rangePageSql(db.dialect)!;
    const checks = startPooledRangeChecks(db, sql, { start: 0, top: N, rangeKeys: 5 }, 3);
    const reports = await Promise.all([0, 1, 2].map((i) => checks.get(i)));
    await checks.close();
    expect(reports.map((r) => [r.lo, r.hi, r.clean])).toEqual([
      [0, 5, 5],
      [5, 10, 5],
      [10, 12, 2],
    ]);
    expect(reports[1]!.firstPrevHash).toBe(reports[0]!.lastHash);
    expect(await verifyChain(db, {}, { rangeKeys: 5, lanes: 2 })).toEqual(await audit.verify());
  });

  it('names a changed entry', async () => {
    await tamper("UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 4");
    expect(await audit.verify()).toMatchObject({ ok: false, entriesChecked: 3, firstBreak: { seq: 4, kind: 'changed' } });
    // A range that stops at the change hands the rest to the walk: the same answer with small ranges.
    expect(await verifyChain(db, {}, { rangeKeys: 2 })).toEqual(await audit.verify());
  });

  it('names deleted entries', async () => {
    await tamper('DELETE FROM audit_log WHERE seq IN (4, 5)');
    expect(await audit.verify()).toMatchObject({ ok: false, firstBreak: { seq: 4, kind: 'deleted' } });
  });
});
