import { hash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { setAnchor } from '../../src/audit/audit-anchor.ts';
import { CONTENT_COLUMNS, computeEntryHash, type AuditRow } from '../../src/audit/audit-hash.ts';
import { verifyChain, type VerifyThreads } from '../../src/audit/audit-verify.ts';
import { rangeCount, type RangePlan, type RangeReport } from '../../src/audit/audit-verify-ranges.ts';
import { startRangeChecks } from '../../src/audit/audit-verify-threads.ts';
import type { VerifyResult } from '../../src/audit/audit-types.ts';
import type { Database } from '../../src/store/database.ts';
import { useTempDirs } from '../store/store-fixtures.ts';
import { dropGuards, openAudit, sampleInput, seed } from './audit-fixtures.ts';

/**
 * Verification of a database file pre-checks ranges of the chain in parallel and joins them;
 * its answer must be exactly that of the entry-by-entry walk, which is what verifyChain does
 * when it is handed only get/all. Every tampering below is judged both ways.
 */

const tempDir = useTempDirs();
const N = 23;

/** The same database, without its file path: verifyChain can only walk it. */
const walkOnly = (db: Database) => ({ get: db.get.bind(db), all: db.all.bind(db) });

/** Ranges that end mid-chain at many places, several connections, and the defaults. */
const SPLITS: VerifyThreads[] = [{ rangeKeys: 1, lanes: 1 }, { rangeKeys: 3 }, { rangeKeys: 7, lanes: 3 }, {}];
/** All ranges checked by a worker thread (the main thread only joins). */
const WORKER: VerifyThreads = { rangeKeys: 4, workers: 1, minWorkerKeys: 0, here: false };

async function judgedAlike(db: Database, label: string, opts: { worker?: boolean } = {}): Promise<VerifyResult> {
  const expected = await verifyChain(walkOnly(db));
  for (const split of [...SPLITS, ...(opts.worker ? [WORKER] : [])]) {
    expect(await verifyChain(db, {}, split), `${label}, split ${JSON.stringify(split)}`).toEqual(expected);
  }
  return expected;
}

async function withLog(n: number, fn: (db: Database) => Promise<void>): Promise<void> {
  const { db, audit } = await openAudit(tempDir());
  try {
    await seed(audit, n);
    await dropGuards(db);
    await fn(db);
  } finally {
    await db.close();
  }
}

const rowAt = async (db: Database, seq: number) => (await db.get<AuditRow>('SELECT * FROM audit_log WHERE seq = ?', [seq]))!;

/** Re-hashes entries from..N so that they link again (what a tamperer covering tracks does). */
async function relink(db: Database, from: number, prevHash: string): Promise<void> {
  let prev = prevHash;
  for (let s = from; s <= N; s++) {
    const row = { ...(await rowAt(db, s)), prev_hash: prev };
    row.hash = computeEntryHash(prev, row);
    await db.run('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?', [row.prev_hash, row.hash, s]);
    prev = row.hash;
  }
}

/** Rebuilds audit_log without types or constraints: values keep whatever type a tamperer stores. */
async function rebuildLoose(db: Database): Promise<void> {
  const columns = [...CONTENT_COLUMNS, 'prev_hash', 'hash'].join(', ');
  await db.exec('DROP TRIGGER audit_anchor_insert_links; DROP TRIGGER audit_anchor_update_forward;');
  await db.exec(`CREATE TABLE loose (${columns}); INSERT INTO loose SELECT ${columns} FROM audit_log; DROP TABLE audit_log; ALTER TABLE loose RENAME TO audit_log;`);
}

/** A different value for a column that still passes the table's CHECK constraints. */
function tampered(column: string, row: AuditRow): string | number {
  if (column === 'seq') return 1000;
  if (column === 'actor_kind') return row.actor_kind === 'user' ? 'agent' : 'user';
  if (column === 'hash' || column === 'prev_hash') return 'f'.repeat(64);
  const v = row[column as keyof AuditRow];
  return v === null ? 'forged' : `${v}-forged`;
}

describe('verify by ranges agrees with the walk', () => {
  it('on an intact chain, an empty one, and one behind an archive anchor', async () => {
    await withLog(0, async (db) => {
      expect((await judgedAlike(db, 'empty')).entriesChecked).toBe(0);
    });
    await withLog(N, async (db) => {
      expect(await judgedAlike(db, 'intact', { worker: true })).toMatchObject({ ok: true, entriesChecked: N, lastSeq: N });
      await db.transaction(async (tx) => {
        await setAnchor(tx, { throughSeq: 5 }, new Date('2026-04-01T00:00:00Z'));
        await tx.run('DELETE FROM audit_log WHERE seq <= 5');
      });
      expect(await judgedAlike(db, 'anchored', { worker: true })).toMatchObject({ ok: true, entriesChecked: N - 5, lastSeq: N });
      await db.run("UPDATE audit_log SET outcome = 'denied' WHERE seq = 6");
      expect((await judgedAlike(db, 'first after anchor changed')).firstBreak).toMatchObject({ seq: 6, kind: 'changed' });
    });
  });

  it('on a change to any column, at range starts, ends and middles', async () => {
    await withLog(N, async (db) => {
      for (const seq of [1, 3, 4, 12, N]) {
        for (const column of [...CONTENT_COLUMNS, 'prev_hash', 'hash']) {
          const original = await rowAt(db, seq);
          const value = tampered(column, original);
          await db.run(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`, [value, seq]);
          const r = await judgedAlike(db, `${column} of ${seq}`, { worker: seq === 12 && column === 'details' });
          expect(r.firstBreak?.seq, `${column} of ${seq}`).toBe(seq);
          await db.run(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`, [original[column as keyof AuditRow], column === 'seq' ? value : seq]);
        }
      }
      expect((await judgedAlike(db, 'restored')).ok).toBe(true);
    });
  });

  it('on deleted entries, including a whole range and the tail', async () => {
    for (const doomed of [[5], [5, 6, 7], [1], [4, 5, 6], [N], [3, 4]]) {
      await withLog(N, async (db) => {
        await db.run(`DELETE FROM audit_log WHERE seq IN (${doomed.join(', ')})`);
        await judgedAlike(db, `deleted ${doomed.join(',')}`, { worker: doomed.length === 3 });
      });
    }
  });

  it('on reordering, insertion, an unchained append and a renumbering gap', async () => {
    await withLog(N, async (db) => {
      const a = await rowAt(db, 4);
      const b = await rowAt(db, 8);
      const cols = Object.keys(a).filter((c) => c !== 'seq');
      const set = cols.map((c) => `${c} = ?`).join(', ');
      await db.run(`UPDATE audit_log SET ${set} WHERE seq = 4`, cols.map((c) => b[c as keyof AuditRow]));
      await db.run(`UPDATE audit_log SET ${set} WHERE seq = 8`, cols.map((c) => a[c as keyof AuditRow]));
      expect((await judgedAlike(db, 'content swapped', { worker: true })).firstBreak).toMatchObject({ seq: 4, kind: 'reordered' });
    });
    await withLog(N, async (db) => {
      await db.exec('UPDATE audit_log SET seq = 99999 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = 7; UPDATE audit_log SET seq = 7 WHERE seq = 99999;');
      expect((await judgedAlike(db, 'seq swapped')).firstBreak).toMatchObject({ seq: 6, kind: 'reordered' });
    });
    await withLog(N, async (db) => {
      for (let s = N; s >= 6; s--) await db.run('UPDATE audit_log SET seq = ? WHERE seq = ?', [s + 1, s]);
      const prev = await rowAt(db, 5);
      const forged = { ...prev, seq: 6, event_type: 'approval.granted', approver_id: 'mallory', details: '{}', prev_hash: prev.hash };
      forged.hash = computeEntryHash(forged.prev_hash, forged);
      const cols = Object.keys(forged);
      await db.run(`INSERT INTO audit_log (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => forged[c as keyof AuditRow]));
      expect(await judgedAlike(db, 'inserted', { worker: true })).toMatchObject({ entriesChecked: 5, lastSeq: 5, firstBreak: { seq: 6, kind: 'inserted' } });
    });
    await withLog(N, async (db) => {
      const last = await rowAt(db, N);
      await db.run('INSERT INTO audit_log SELECT ?, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, ?, ? FROM audit_log WHERE seq = ?', [
        N + 1,
        'c'.repeat(64),
        'd'.repeat(64),
        N,
      ]);
      expect((await judgedAlike(db, 'appended')).firstBreak).toMatchObject({ seq: N + 1, kind: 'changed' });
      await db.run('DELETE FROM audit_log WHERE seq = ?', [N + 1]);
      await db.run('UPDATE audit_log SET seq = ?, hash = ? WHERE seq = ?', [N + 5, computeEntryHash(last.prev_hash, { ...last, seq: N + 5 }), N]);
      expect((await judgedAlike(db, 'gap')).firstBreak).toMatchObject({ seq: N, kind: 'gap' });
    });
  });

  it('on a tail re-hashed from a changed entry on (which no chain check can see)', async () => {
    await withLog(N, async (db) => {
      await db.run("UPDATE audit_log SET outcome = 'denied' WHERE seq = 9");
      await relink(db, 9, (await rowAt(db, 9)).prev_hash);
      expect((await judgedAlike(db, 're-hashed tail', { worker: true })).ok).toBe(true);
    });
  });

  it('on a tail re-hashed onto a forged predecessor: every range intact inside, one join broken', async () => {
    // Entry 4 opens a range for rangeKeys 1 and 3; 8 opens one for rangeKeys 1 and 7.
    for (const seq of [4, 8]) {
      await withLog(N, async (db) => {
        await relink(db, seq, 'e'.repeat(64));
        const r = await judgedAlike(db, `re-linked at ${seq}`, { worker: seq === 8 });
        expect(r).toMatchObject({ entriesChecked: seq - 1, firstBreak: { seq, kind: 'changed' } });
      });
    }
  });

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

  it('reports progress in whole pages, as the walk does', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await Promise.all(Array.from({ length: 10_001 }, (_, i) => audit.append(sampleInput(i))));
      const walked: number[] = [];
      await verifyChain(walkOnly(db), { onProgress: (n) => walked.push(n) });
      expect(walked).toEqual([5000, 10_000, 10_001]);
      for (const split of [{ rangeKeys: 3000 }, { rangeKeys: 5000, lanes: 1 }, {}]) {
        const seen: number[] = [];
        expect((await verifyChain(db, { onProgress: (n) => seen.push(n) }, split)).entriesChecked).toBe(10_001);
        expect(seen, JSON.stringify(split)).toEqual(walked);
      }
    } finally {
      await db.close();
    }
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
