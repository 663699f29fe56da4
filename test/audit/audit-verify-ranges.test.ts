import { describe, expect, it } from 'vitest';
import { setAnchor } from '../../src/audit/audit-anchor.ts';
import { CONTENT_COLUMNS, computeEntryHash, type AuditRow } from '../../src/audit/audit-hash.ts';
import { verifyChain } from '../../src/audit/audit-verify.ts';
import { openAudit, sampleInput } from './audit-fixtures.ts';
import { judgedAlike, N, relink, rowAt, tampered, tempDir, walkOnly, withLog } from './audit-verify-ranges-fixtures.ts';

/**
 * Verification of a database file pre-checks ranges of the chain in parallel and joins them (on
 * a server, over its pool); its answer must be exactly that of the entry-by-entry walk, which is
 * what verifyChain does when it is handed only get/all. Every tampering below is judged both ways,
 * on either engine; what only SQLite's untyped columns and worker threads allow is in
 * audit-verify-ranges.sqlite.test.ts.
 */

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
