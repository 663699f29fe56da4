import { describe, expect, it } from 'vitest';
import { setAnchor } from '../../src/audit/audit-anchor.ts';
import { CONTENT_COLUMNS, GENESIS_HASH, computeEntryHash, type AuditRow } from '../../src/audit/audit-hash.ts';
import type { AuditLog } from '../../src/audit/audit-log.ts';
import { verifyChain } from '../../src/audit/audit-verify.ts';
import type { Database, SqlParams } from '../../src/store/database.ts';
import { useTempDirs } from '../store/store-fixtures.ts';
import { dropGuards, dropHashLengthChecks, dropTrigger, openAudit, rowAt, sampleInput, seed, withTamperableLog } from './audit-fixtures.ts';

const tempDir = useTempDirs();
const N = 12;

const withLog = (n: number, fn: (db: Database, audit: AuditLog) => Promise<void>) => withTamperableLog(tempDir(), n, fn);


function flipHex(h: string): string {
  return (h[0] === 'a' ? 'b' : 'a') + h.slice(1);
}

/** A different but valid value for a column (so CHECK constraints do not stop the attacker). */
function tampered(column: string, row: AuditRow): string | number {
  switch (column) {
    case 'seq':
      return 1000;
    case 'ts':
      return new Date(Date.parse(row.ts) + 1).toISOString();
    case 'actor_kind':
      return row.actor_kind === 'user' ? 'agent' : 'user';
    case 'details':
      return row.details.replace('{', '{ '); // same JSON meaning, different bytes
    case 'prev_hash':
    case 'hash':
      return flipHex(row[column]);
    default: {
      const v = row[column as keyof AuditRow];
      return v === null ? 'forged' : `${v}-forged`;
    }
  }
}

describe('verify', () => {
  it('accepts an intact chain and an empty one', async () => {
    await withLog(0, async (_db, audit) => {
      expect(await audit.verify()).toEqual({ ok: true, entriesChecked: 0, lastSeq: 0, lastHash: GENESIS_HASH });
    });
    await withLog(N, async (_db, audit) => {
      const head = await audit.head();
      expect(await audit.verify()).toEqual({ ok: true, entriesChecked: N, lastSeq: N, lastHash: head.hash });
    });
  });

  it('detects a change to any column of any entry, at that entry', async () => {
    await withLog(N, async (db, audit) => {
      const columns = [...CONTENT_COLUMNS, 'prev_hash', 'hash'];
      expect(columns).toHaveLength(17);
      for (const seq of [1, 2, 7, N]) {
        for (const column of columns) {
          const original = await rowAt(db, seq);
          const value = tampered(column, original);
          await db.run(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`, [value, seq]);
          const result = await audit.verify();
          const where = `${column} of entry ${seq}`;
          expect(result.ok, where).toBe(false);
          expect(result.firstBreak?.seq, where).toBe(seq);
          expect(result.firstBreak?.kind, where).toBe(column === 'seq' ? 'deleted' : 'changed');
          expect(result.entriesChecked, where).toBe(seq - 1);
          expect(result.lastSeq, where).toBe(seq - 1);
          await db.run(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`, [original[column as keyof AuditRow], column === 'seq' ? value : seq]);
          expect((await audit.verify()).ok, `restored ${where}`).toBe(true);
        }
      }
    });
  });

  it('detects characters moved between hash and prev_hash, though their concatenation is unchanged', async () => {
    // With the length checks dropped, as an attacker with the database can: the pre-check reads
    // both hashes from one concatenated text, so it must not take a 74- and a 54-character pair
    // for the two 64-character ones.
    await withLog(N, async (db, audit) => {
      await dropHashLengthChecks(db);
      for (const seq of [1, 5, N]) {
        const original = await rowAt(db, seq);
        const shifts = [
          { hash: original.hash + original.prev_hash.slice(0, 10), prev_hash: original.prev_hash.slice(10) },
          { hash: original.hash.slice(0, 54), prev_hash: original.hash.slice(54) + original.prev_hash },
        ];
        for (const shift of shifts) {
          await db.run('UPDATE audit_log SET hash = ?, prev_hash = ? WHERE seq = ?', [shift.hash, shift.prev_hash, seq]);
          expect(shift.hash + shift.prev_hash).toBe(original.hash + original.prev_hash);
          const where = `entry ${seq}, hash of ${shift.hash.length} characters`;
          expect(await audit.verify(), where).toMatchObject({ ok: false, entriesChecked: seq - 1, firstBreak: { seq, kind: 'changed' } });
          await db.run('UPDATE audit_log SET hash = ?, prev_hash = ? WHERE seq = ?', [original.hash, original.prev_hash, seq]);
          expect((await audit.verify()).ok, `restored ${where}`).toBe(true);
        }
      }
    });
  });

  it('detects deleted entries at the first missing seq', async () => {
    await withLog(N, async (db, audit) => {
      await db.run('DELETE FROM audit_log WHERE seq = 5');
      expect(await audit.verify()).toMatchObject({ ok: false, entriesChecked: 4, lastSeq: 4, firstBreak: { seq: 5, kind: 'deleted', message: 'entries 5 are missing' } });
      await db.run('DELETE FROM audit_log WHERE seq IN (6, 7)');
      expect((await audit.verify()).firstBreak).toEqual({ seq: 5, kind: 'deleted', message: 'entries 5..7 are missing' });
    });
    await withLog(N, async (db, audit) => {
      await db.run('DELETE FROM audit_log WHERE seq = 1');
      expect((await audit.verify()).firstBreak).toMatchObject({ seq: 1, kind: 'deleted' });
    });
  });

  it('cannot see entries cut from the end, but reports the head so a recorded checkpoint shows it', async () => {
    await withLog(N, async (db, audit) => {
      const recorded = await audit.head();
      await db.run('DELETE FROM audit_log WHERE seq = ?', [N]);
      const result = await audit.verify();
      expect(result.ok).toBe(true);
      expect(result.lastSeq).toBe(N - 1);
      expect(result.lastHash).not.toBe(recorded.hash);
    });
  });

  it('detects two entries swapped (content moved, or seq numbers exchanged) as reordered', async () => {
    await withLog(N, async (db, audit) => {
      const a = await rowAt(db, 4);
      const b = await rowAt(db, 8);
      const cols = Object.keys(a).filter((c) => c !== 'seq');
      const set = cols.map((c) => `${c} = ?`).join(', ');
      await db.run(`UPDATE audit_log SET ${set} WHERE seq = 4`, cols.map((c) => b[c as keyof AuditRow]));
      await db.run(`UPDATE audit_log SET ${set} WHERE seq = 8`, cols.map((c) => a[c as keyof AuditRow]));
      const result = await audit.verify();
      expect(result).toMatchObject({ ok: false, entriesChecked: 3, firstBreak: { seq: 4, kind: 'reordered' } });
      expect(result.firstBreak?.message).toBe('entry 4 is out of place: the entry that follows 3 is at 8');
    });
    await withLog(N, async (db, audit) => {
      await db.exec('UPDATE audit_log SET seq = 99999 WHERE seq = 6; UPDATE audit_log SET seq = 6 WHERE seq = 7; UPDATE audit_log SET seq = 7 WHERE seq = 99999;');
      expect((await audit.verify()).firstBreak).toMatchObject({ seq: 6, kind: 'reordered' });
    });
  });

  it('detects a forged entry slotted into the middle, even with a correct hash, at the forged entry', async () => {
    await withLog(N, async (db, audit) => {
      // Make room at seq 6 by renumbering the later entries, as an attacker would have to.
      for (let s = N; s >= 6; s--) await db.run('UPDATE audit_log SET seq = ? WHERE seq = ?', [s + 1, s]);
      const prev = await rowAt(db, 5);
      const forged = { ...prev, seq: 6, event_type: 'approval.granted', approver_id: 'mallory', details: '{}', prev_hash: prev.hash };
      forged.hash = computeEntryHash(forged.prev_hash, forged);
      const cols = Object.keys(forged);
      await db.run(`INSERT INTO audit_log (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => forged[c as keyof AuditRow]));
      const result = await audit.verify();
      expect(result).toMatchObject({ ok: false, entriesChecked: 5, lastSeq: 5, lastHash: prev.hash, firstBreak: { seq: 6, kind: 'inserted' } });
    });
  });

  it('detects an entry appended without the chain, and a renumbering that keeps the links as a gap', async () => {
    await withLog(N, async (db, audit) => {
      const last = await rowAt(db, N);
      await db.run('INSERT INTO audit_log SELECT ?, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, ?, ? FROM audit_log WHERE seq = ?', [
        N + 1,
        'c'.repeat(64),
        'd'.repeat(64),
        N,
      ]);
      expect((await audit.verify()).firstBreak).toMatchObject({ seq: N + 1, kind: 'changed' });
      await db.run('DELETE FROM audit_log WHERE seq = ?', [N + 1]);
      // Renumber the last entry and re-hash it: every link still holds, the numbering does not.
      const moved = { ...last, seq: N + 5 };
      await db.run('UPDATE audit_log SET seq = ?, hash = ? WHERE seq = ?', [N + 5, computeEntryHash(last.prev_hash, moved), N]);
      expect((await audit.verify()).firstBreak).toMatchObject({ seq: N, kind: 'gap' });
    });
  });

  it('cannot by itself see a tail re-hashed from a changed entry on, but the head no longer matches a recorded one', async () => {
    await withLog(N, async (db, audit) => {
      const recorded = await audit.head();
      let prev = (await rowAt(db, 9)).prev_hash;
      for (let s = 9; s <= N; s++) {
        const row = { ...(await rowAt(db, s)), prev_hash: prev };
        if (s === 9) row.outcome = 'denied';
        row.hash = computeEntryHash(prev, row);
        await db.run('UPDATE audit_log SET outcome = ?, prev_hash = ?, hash = ? WHERE seq = ?', [row.outcome, row.prev_hash, row.hash, s]);
        prev = row.hash;
      }
      const result = await audit.verify();
      expect(result.ok).toBe(true);
      expect(result.lastHash).not.toBe(recorded.hash);
    });
  });

  it('detects breaks past the first page', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await Promise.all(Array.from({ length: 5003 }, (_, i) => audit.append(sampleInput(i))));
      await dropGuards(db);
      const progress: number[] = [];
      expect(await audit.verify({ onProgress: (n) => progress.push(n) })).toMatchObject({ ok: true, entriesChecked: 5003 });
      expect(progress).toEqual([5000, 5003]);
      await db.run("UPDATE audit_log SET scope = '/' WHERE seq = 5002");
      expect(await audit.verify()).toMatchObject({ ok: false, entriesChecked: 5001, firstBreak: { seq: 5002, kind: 'changed' } });
    } finally {
      await db.close();
    }
  });
});

describe('verify pre-check', () => {
  /** The database, seen through a wrapper that can distort page rows and counts full-row reads. */
  function observed(db: Database, distort: (content: string) => string) {
    const calls = { fullRowReads: 0 };
    // The engine's own SQL, but no file to reopen or server to COPY from: the walk alone.
    const view = {
      dialect: { ...db.dialect, file: undefined },
      all: async <T>(sql: string, params?: SqlParams) =>
        (await db.all<Record<string, unknown>>(sql, params)).map((r) => (typeof r.chain === 'string' ? { ...r, chain: distort(r.chain) } : r)) as T[],
      get: <T>(sql: string, params?: SqlParams) => {
        if (/WHERE seq = \?/.test(sql)) calls.fullRowReads += 1;
        return db.get<T>(sql, params);
      },
    };
    return { view, calls };
  }

  it('agrees with the canonical form on hostile and non-ASCII text, so no row needs a second read', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      // NUL only inside details (JSON escapes it): a PostgreSQL text column cannot hold one (audit-verify.sqlite.test.ts).
      const odd = 'ctl\u0001\u001f\u007f quote" back\\ é 😀 \u2028 \u202e </script>';
      for (let i = 0; i < 5; i++) await audit.append({ ...sampleInput(i), subject: odd, actor: { kind: 'user', id: odd, name: odd }, details: { odd: `nul\u0000 ${odd}` } });
      const { view, calls } = observed(db, (c) => c);
      expect(await verifyChain(view)).toMatchObject({ ok: true, entriesChecked: 5 });
      expect(calls.fullRowReads).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('falls back to the authoritative hash when the pre-check text differs, without false alarms', async () => {
    await withLog(6, async (db) => {
      const { view, calls } = observed(db, (c) => `${c} `);
      expect(await verifyChain(view)).toMatchObject({ ok: true, entriesChecked: 6 });
      expect(calls.fullRowReads).toBe(6);
      await db.run("UPDATE audit_log SET action = 'Microsoft.Authorization/roleAssignments/write' WHERE seq = 4");
      expect((await verifyChain(view)).firstBreak).toMatchObject({ seq: 4, kind: 'changed' });
    });
  });
});

describe('anchor (retention)', () => {
  it('lets archived entries be removed behind the anchor, and the chain still verifies and grows', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await seed(audit, N);
      const five = await audit.get(5);
      await db.transaction(async (tx) => {
        await setAnchor(tx, { throughSeq: 5, archiveRef: 'archive-0001.jsonl' }, new Date('2026-04-01T00:00:00Z'));
        await tx.run('DELETE FROM audit_log WHERE seq <= 5');
      });
      expect(await audit.anchor()).toEqual({ throughSeq: 5, lastHash: five!.hash, setAt: '2026-04-01T00:00:00.000Z', archiveRef: 'archive-0001.jsonl', seal: null });
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: N - 5, lastSeq: N });
      const next = await audit.append(sampleInput(99));
      expect(next.seq).toBe(N + 1);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: N - 4 });
      // entries not behind the anchor stay undeletable, and the anchor never moves back
      await expect(db.run('DELETE FROM audit_log WHERE seq = 6')).rejects.toThrow(/append-only/);
      await expect(db.transaction((tx) => setAnchor(tx, { throughSeq: 3, lastHash: five!.hash }, new Date()))).rejects.toThrow(/only moves forward/);
      await expect(db.run('DELETE FROM audit_anchor')).rejects.toThrow(/cannot be removed/);
    } finally {
      await db.close();
    }
  });

  it('detects entries removed just behind the anchor and a forged anchor', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await seed(audit, N);
      await db.transaction(async (tx) => {
        await setAnchor(tx, { throughSeq: 3 }, new Date());
      });
      await dropGuards(db);
      await db.run('DELETE FROM audit_log WHERE seq <= 4');
      expect((await audit.verify()).firstBreak).toMatchObject({ seq: 4, kind: 'deleted' });
      await dropTrigger(db, 'audit_anchor_update_forward', 'audit_anchor');
      await db.run('UPDATE audit_anchor SET through_seq = 4, last_hash = ?', ['e'.repeat(64)]);
      expect((await audit.verify()).firstBreak).toMatchObject({ seq: 5, kind: 'changed' });
    } finally {
      await db.close();
    }
  });

  it('starts a fresh log from an archived chain\'s last hash', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await expect(db.transaction((tx) => setAnchor(tx, { throughSeq: 10 }, new Date()))).rejects.toThrow(/no audit entry 10/);
      await expect(db.transaction((tx) => setAnchor(tx, { throughSeq: 10, lastHash: 'F'.repeat(64) }, new Date()))).rejects.toThrow(/64 lower-case hex/);
      const archived = 'f'.repeat(64);
      await db.transaction((tx) => setAnchor(tx, { throughSeq: 1000, lastHash: archived, archiveRef: 'old.db' }, new Date()));
      expect(await audit.head()).toEqual({ seq: 1000, hash: archived });
      const first = await audit.append(sampleInput(0));
      expect(first).toMatchObject({ seq: 1001, prevHash: archived });
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 1, lastSeq: 1001 });
    } finally {
      await db.close();
    }
  });
});
