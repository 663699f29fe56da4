/**
 * Adapter-specific (issue 16): chain verification through a PostgreSQL store (the pre-check text
 * built by PostgreSQL, no SQLite file ever opened) finds the same breaks as on SQLite.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
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

  it('names a changed entry', async () => {
    await tamper("UPDATE audit_log SET details = '{\"forged\":true}' WHERE seq = 4");
    expect(await audit.verify()).toMatchObject({ ok: false, entriesChecked: 3, firstBreak: { seq: 4, kind: 'changed' } });
  });

  it('names deleted entries', async () => {
    await tamper('DELETE FROM audit_log WHERE seq IN (4, 5)');
    expect(await audit.verify()).toMatchObject({ ok: false, firstBreak: { seq: 4, kind: 'deleted' } });
  });
});
