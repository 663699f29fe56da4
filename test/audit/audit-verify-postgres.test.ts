/**
 * Adapter-specific (issue 16): chain verification through a PostgreSQL store (the pre-check's pages
 * made from the server's COPY text, no SQLite file ever opened) finds the same breaks as on
 * SQLite, and the pages are the canonical text byte for byte, as the real server escapes values.
 */
import { hash as sha256 } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import { canonicalContent, type AuditRow } from '../../src/audit/audit-hash.ts';
import { copyPageFetch, startPooledRangeChecks } from '../../src/audit/audit-verify-pooled.ts';
import { verifyChain } from '../../src/audit/audit-verify.ts';
import type { Database } from '../../src/store/database.ts';
import { openPostgresStore } from '../../src/store/open-store.ts';
import { parsePostgresUrl } from '../../src/store/postgres-url.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { sampleInput, steppingClock } from './audit-fixtures.ts';
import { walkOnly } from './audit-verify-ranges-fixtures.ts';

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
async function tamper(sql: string, params: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: database.url });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await c.query(sql, params);
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
    const checks = startPooledRangeChecks(db.copyText!.bind(db), { start: 0, top: N, rangeKeys: 5 }, { lanes: 3, workers: 0 });
    const reports = await Promise.all([0, 1, 2].map((i) => checks.get(i)));
    await checks.close();
    expect(reports.map((r) => [r.lo, r.hi, r.clean])).toEqual([
      [0, 5, 5],
      [5, 10, 5],
      [10, 12, 2],
    ]);
    expect(reports[1]!.firstPrevHash).toBe(reports[0]!.lastHash);
    expect(await verifyChain(db, {}, { rangeKeys: 5, lanes: 2 })).toEqual(await audit.verify());
    // The same with the pages turned and hashed on worker threads while this thread fetches.
    for (const workers of [1, 2]) expect(await verifyChain(db, {}, { rangeKeys: 2, lanes: 2, workers, minWorkerKeys: 0 })).toEqual(await audit.verify());
  });

  it('makes pages from COPY text that are the canonical text, byte for byte, on hostile and non-ASCII values', async () => {
    // Every control character COPY escapes (\b \t \n \v \f \r) and some it sends raw, backslashes
    // that look like COPY's own escapes, quotes, DEL, non-ASCII, line and bidi separators.
    const odd = 'ctl\u0001\b\t\n\u000b\f\r\u001f\u007f quote" back\\ \\N \\\\N \\t é 😀 \u2028 \u202e </script>';
    for (let i = 0; i < 4; i++) {
      await audit.append({ ...sampleInput(i), subject: odd, scope: i % 2 ? odd : null, actor: { kind: 'user', id: odd, name: i % 2 ? null : odd }, details: { odd: `nul\u0000 ${odd}` } });
    }
    const rows = await db.all<AuditRow>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq', [N]);
    const [page] = await copyPageFetch(db.copyText!.bind(db))(N, N + 4);
    expect(page!.n).toBe(4);
    expect(page!.body!.toString('utf8')).toBe(rows.map((r) => `${r.seq} ${r.hash}${r.prev_hash}${canonicalContent(r)}`).join('\n'));
    expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: N + 4 });
  });

  it('does not accept an entry forged with its hash over raw control characters (not the canonical escapes)', async () => {
    const original = (await db.get<AuditRow>('SELECT * FROM audit_log WHERE seq = 4'))!;
    for (const ctl of ['\u0001', '\u000b', '\u001f']) {
      const forged = { ...original, subject: `a${ctl}b` };
      const escaped = `a\\u00${ctl.charCodeAt(0).toString(16).padStart(2, '0')}b`;
      const rawText = canonicalContent(forged).replace(escaped, `a${ctl}b`);
      expect(rawText).not.toBe(canonicalContent(forged));
      await tamper('UPDATE audit_log SET subject = $1, hash = $2 WHERE seq = 4', [forged.subject, sha256('sha256', original.prev_hash + rawText, 'hex')]);
      const walked = await verifyChain(walkOnly(db));
      expect(walked).toMatchObject({ ok: false, entriesChecked: 3, firstBreak: { seq: 4, kind: 'changed' } });
      for (const split of [{}, { rangeKeys: 2 }, { rangeKeys: 3, lanes: 1 }, { rangeKeys: 2, workers: 1, minWorkerKeys: 0 }]) expect(await verifyChain(db, {}, split)).toEqual(walked);
    }
    await tamper('UPDATE audit_log SET subject = $1, hash = $2 WHERE seq = 4', [original.subject, original.hash]);
    expect(await audit.verify()).toMatchObject({ ok: true });
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
