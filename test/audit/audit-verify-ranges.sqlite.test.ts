// SQLite-only: columns rebuilt without types (text seq, BLOBs, bytes that are not UTF-8) and range checks on worker threads reopening the file.
import { hash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { CONTENT_COLUMNS, computeEntryHash } from '../../src/audit/audit-hash.ts';
import { verifyChain } from '../../src/audit/audit-verify.ts';
import { rangeCount, type RangePlan, type RangeReport } from '../../src/audit/audit-verify-ranges.ts';
import { startRangeChecks } from '../../src/audit/audit-verify-threads.ts';
import { openAudit, seed } from './audit-fixtures.ts';
import { judgedAlike, N, rebuildLoose, relink, rowAt, SPLITS, tempDir, walkOnly, withLog, WORKER } from './audit-verify-ranges-fixtures.ts';

describe('verify by ranges agrees with the walk on a loosely typed table', () => {
  it('on a rebuilt table holding NULLs, odd types, text seq and bytes that are not UTF-8', async () => {
    await withLog(N, async (db) => {
      await rebuildLoose(db);
      expect((await judgedAlike(db, 'rebuilt', { worker: true })).ok).toBe(true);

      const three = await rowAt(db, 3);
      await db.run('UPDATE audit_log SET hash = NULL WHERE seq = 3');
      expect((await judgedAlike(db, 'NULL hash')).firstBreak).toMatchObject({ seq: 3, kind: 'changed' });
      await db.run('UPDATE audit_log SET hash = ? WHERE seq = 3', [three.hash]);

      // seq stored as text, and re-hashed as such: equal JSON text both ways, but not entry 7.
      const seven = await rowAt(db, 7);
      await db.run("UPDATE audit_log SET seq = '7', hash = ? WHERE seq = 7", [computeEntryHash(seven.prev_hash, { ...seven, seq: '7' as unknown as number })]);
      expect((await judgedAlike(db, 'text seq')).firstBreak).toMatchObject({ seq: 7 });
      await db.run("UPDATE audit_log SET seq = 7, hash = ? WHERE seq = '7'", [seven.hash]);

      await db.run("UPDATE audit_log SET hash = 'short', prev_hash = 42, seq = 5.5 WHERE seq = 5");
      expect((await judgedAlike(db, 'odd types')).firstBreak).toMatchObject({ seq: 5 });
    });
    await withLog(N, async (db) => {
      // Bytes that are not UTF-8, hashed by the tamperer exactly as SQLite renders them: the
      // walk reads the column as JS text (with replacement characters) and rejects it, and so
      // must the pre-check, which hashes bytes.
      const nine = await rowAt(db, 9);
      await db.run("UPDATE audit_log SET details = CAST(x'7b2261223a22ff227d' AS TEXT) WHERE seq = 9");
      const json = (await db.get<{ j: Buffer }>(
        `SELECT CAST(json_object(${[...CONTENT_COLUMNS].sort().map((c) => `'${c}', ${c}`).join(', ')}) AS BLOB) AS j FROM audit_log WHERE seq = 9`,
      ))!.j;
      const raw = hash('sha256', Buffer.concat([Buffer.from(nine.prev_hash), json]), 'hex');
      await db.run('UPDATE audit_log SET hash = ? WHERE seq = 9', [raw]);
      await relink(db, 10, raw);
      expect((await judgedAlike(db, 'not UTF-8', { worker: true })).firstBreak).toMatchObject({ seq: 9, kind: 'changed' });
    });
  });

  it('on a BLOB where text belongs, fails as the walk does (SQLite cannot render it as JSON) and leaves nothing running', async () => {
    await withLog(N, async (db) => {
      await rebuildLoose(db);
      await db.run("UPDATE audit_log SET details = x'00ff' WHERE seq = 14");
      await expect(verifyChain(walkOnly(db))).rejects.toThrow(/BLOB/);
      for (const split of [...SPLITS, WORKER]) await expect(verifyChain(db, {}, split), JSON.stringify(split)).rejects.toThrow(/BLOB/);
      await db.run('UPDATE audit_log SET details = ? WHERE seq = 14', ['{}']);
      expect((await judgedAlike(db, 'text again')).firstBreak).toMatchObject({ seq: 14, kind: 'changed' });
    });
  });
});

describe('range checks on worker threads', () => {
  async function reportsOf(path: string, plan: RangePlan, before?: () => void): Promise<RangeReport[]> {
    const checks = await startRangeChecks(path, plan, { workers: 1, lanes: 1, here: false });
    before?.();
    try {
      return await Promise.all(Array.from({ length: rangeCount(plan) }, (_, i) => checks.get(i)));
    } finally {
      await checks.close();
    }
  }

  it('are done by the worker when this thread only joins', async () => {
    const { db, audit, path } = await openAudit(tempDir());
    await seed(audit, N);
    await db.close();
    const reports = await reportsOf(path, { start: 0, top: N, rangeKeys: 5 });
    expect(reports.map((r) => [r.lo, r.hi, r.clean])).toEqual([
      [0, 5, 5],
      [5, 10, 5],
      [10, 15, 5],
      [15, 20, 5],
      [20, 23, 3],
    ]);
    expect(reports.every((r) => r.thread !== threadId)).toBe(true);
  });

  it('fall back to this thread when the worker cannot open the database', async () => {
    const { db, audit, path } = await openAudit(tempDir());
    await seed(audit, N);
    await db.close();
    // This thread's connections are open; the file is gone before the worker (still loading) opens it.
    const reports = await reportsOf(path, { start: 0, top: N, rangeKeys: 5 }, () => rmSync(path));
    expect(reports.map((r) => r.clean)).toEqual([5, 5, 5, 5, 3]);
    expect(reports.every((r) => r.thread === threadId)).toBe(true);
  });
});
