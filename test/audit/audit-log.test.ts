import { describe, expect, it } from 'vitest';
import { AuditAppendError } from '../../src/audit/audit-errors.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { GENESIS_HASH, computeEntryHash, type AuditRow } from '../../src/audit/audit-hash.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { useTempDirs } from '../store/store-fixtures.ts';
import { openAudit, sampleInput, seed, steppingClock } from './audit-fixtures.ts';

const tempDir = useTempDirs();

describe('append', () => {
  it('returns the committed entry, linked to genesis and then to its predecessor', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      const first = await audit.append(sampleInput(0));
      expect(first).toMatchObject({
        seq: 1,
        ts: '2026-03-01T12:00:00.000Z',
        actor: { kind: 'agent', id: 'actor-0', name: null },
        eventType: 'operation.requested',
        requestId: 'req-0',
        approverId: null,
        details: { i: 0, note: 'entry 0', nested: { list: [1, 'two', null, true] } },
        prevHash: GENESIS_HASH,
      });
      const second = await audit.append(sampleInput(1));
      expect(second.seq).toBe(2);
      expect(second.prevHash).toBe(first.hash);
      expect(await audit.get(1)).toEqual(first);
      // The appended entry parses its details only when read (issue 18); it serialises and
      // copies like the entry read back, and takes an assignment like a plain object.
      expect(JSON.stringify(second)).toBe(JSON.stringify(await audit.get(2)));
      expect(structuredClone(second)).toEqual(await audit.get(2));
      second.details = { replaced: true };
      expect(second.details).toEqual({ replaced: true });
      expect((await audit.get(2))!.details).toEqual(sampleInput(1).details);
      expect(await audit.get(3)).toBeUndefined();
      expect(await audit.head()).toEqual({ seq: 2, hash: second.hash });
    } finally {
      await db.close();
    }
  });

  it('keeps a gapless valid chain under 200 concurrent appends, resolving each caller with its own entry', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      const entries = await Promise.all(Array.from({ length: 200 }, (_, i) => audit.append({ ...sampleInput(i), details: { caller: i } })));
      expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      entries.forEach((e, i) => expect(e.details).toEqual({ caller: i }));
      const stored = await db.all<{ seq: number; prev_hash: string; hash: string }>('SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq');
      for (let i = 1; i < stored.length; i++) expect(stored[i]!.prev_hash).toBe(stored[i - 1]!.hash);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 200, lastSeq: 200 });
    } finally {
      await db.close();
    }
  });

  it('recovers when another writer appended since its last batch (stale remembered tail)', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      const other = createAuditLog(db);
      const seqs = [];
      for (let i = 0; i < 6; i++) seqs.push((await (i % 3 === 2 ? other : audit).append(sampleInput(i))).seq);
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 6 });
    } finally {
      await db.close();
    }
  });

  it('rejects after the store is closed', async () => {
    const { db, audit } = await openAudit(tempDir());
    await db.close();
    await expect(audit.append(sampleInput(0))).rejects.toThrow(AuditAppendError);
  });

  it('rejects invalid input before touching the store, counting it', async () => {
    const metrics = createMetrics();
    const { db, audit } = await openAudit(tempDir(), { metrics });
    try {
      await expect(audit.append({ ...sampleInput(0), eventType: 'DROP TABLE' })).rejects.toThrow(AuditAppendError);
      await expect(audit.append({ ...sampleInput(0), details: { n: Number.NaN } })).rejects.toThrow(/not a finite number/);
      await audit.append(sampleInput(0));
      expect(await audit.head()).toMatchObject({ seq: 1 });
      const values = (await metrics.auditAppends.get()).values.map((v) => [v.labels.result, v.value]);
      expect(values).toEqual(expect.arrayContaining([['rejected', 2], ['ok', 1]]));
    } finally {
      await db.close();
    }
  });

  it('rejects when the clock yields an invalid time, without writing', async () => {
    const { db } = await openAudit(tempDir());
    try {
      const audit = createAuditLog(db, { clock: () => new Date(Number.NaN) });
      await expect(audit.append(sampleInput(0))).rejects.toThrow(AuditAppendError);
      expect(await db.get('SELECT COUNT(*) AS n FROM audit_log')).toEqual({ n: 0 });
    } finally {
      await db.close();
    }
  });

  it('round-trips emoji, right-to-left text and NUL in details byte for byte, so verification holds', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      const odd = 'a b 😀 \u202eevil\u202c \r\n\t';
      const e = await audit.append({ ...sampleInput(0), subject: odd, actor: { kind: 'user', id: odd, name: odd }, details: { odd: `${odd}\u0000` } });
      expect(await audit.get(e.seq)).toEqual(e);
      expect(e.subject).toBe(odd);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 1 });
    } finally {
      await db.close();
    }
  });

  it('appends an entry whose columns carry NUL on either engine, recording it as U+FFFD, so a requester cannot make a refusal unauditable', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      const withNul = 'scope\u0000/subscriptions/x';
      const e = await audit.append({ ...sampleInput(0), subject: withNul, scope: withNul, actor: { kind: 'agent', id: withNul, name: withNul }, details: { raw: withNul } });
      expect(e).toMatchObject({ subject: 'scope\uFFFD/subscriptions/x', scope: 'scope\uFFFD/subscriptions/x', actor: { id: 'scope\uFFFD/subscriptions/x' } });
      expect(e.details).toEqual({ raw: withNul });
      expect(await audit.get(e.seq)).toEqual(e);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 1 });
    } finally {
      await db.close();
    }
  });

  it('stamps ts as ISO-8601 UTC with milliseconds from the injected clock', async () => {
    const { db } = await openAudit(tempDir());
    try {
      const audit = createAuditLog(db, { clock: steppingClock(Date.parse('2027-07-07T07:07:07.007Z')) });
      expect((await audit.append(sampleInput(0))).ts).toBe('2027-07-07T07:07:07.007Z');
    } finally {
      await db.close();
    }
  });

  it('is append-only at the database level too', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await seed(audit, 3);
      await expect(db.run("UPDATE audit_log SET outcome = 'denied' WHERE seq = 2")).rejects.toThrow(/append-only/);
      await expect(db.run('DELETE FROM audit_log WHERE seq = 3')).rejects.toThrow(/append-only/);
      await expect(db.run('INSERT INTO audit_anchor (id, through_seq, last_hash, set_at) VALUES (1, 2, ?, ?)', ['a'.repeat(64), 'now'])).rejects.toThrow(
        /must point at an existing entry/,
      );
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 3 });
    } finally {
      await db.close();
    }
  });
});

describe('list and iterate', () => {
  it('pages newest first with a keyset cursor, combined with filters', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await seed(audit, 40);
      const page1 = await audit.list({ agentId: 'agent-1' }, { limit: 7 });
      expect(page1.entries.map((e) => e.seq)).toEqual([40, 38, 36, 34, 32, 30, 28]);
      expect(page1.nextBefore).toBe(28);
      const page3 = await audit.list({ agentId: 'agent-1' }, { limit: 7, before: 14 });
      expect(page3.entries.map((e) => e.seq)).toEqual([12, 10, 8, 6, 4, 2]);
      expect(page3.nextBefore).toBeNull();
      const exact = await audit.list({ agentId: 'agent-1' }, { limit: 20 });
      expect(exact.entries).toHaveLength(20);
      expect(exact.nextBefore).toBeNull();

      const approvals = await audit.list({ approverId: 'approver-1', eventType: 'approval.granted', scope: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-1' });
      expect(approvals.entries.every((e) => e.approverId === 'approver-1' && e.eventType === 'approval.granted' && e.scope?.endsWith('rg-1'))).toBe(true);
      expect(approvals.entries.map((e) => e.seq)).toEqual([35, 23, 11]);
      // The exact-scope filter reads the lower(scope) index (migration 021) and stays case-sensitive.
      const rg1 = await audit.list({ scope: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-1' }, { limit: 1000 });
      expect(rg1.entries.length).toBeGreaterThan(0);
      expect(rg1.entries.every((e) => e.scope === '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-1')).toBe(true);
      expect((await audit.list({ scope: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/RG-1' })).entries).toEqual([]);
      expect((await audit.list({ requestId: 'req-2' })).entries.map((e) => e.seq)).toEqual([12, 11, 10, 9]);
      expect((await audit.list({ outcome: 'needs-approval', actingIdentity: 'uami-sre', actorId: 'actor-1', subject: 'req-0' })).entries.map((e) => e.seq)).toEqual([2]);
      expect((await audit.list({ action: 'nope' })).entries).toEqual([]);
      expect((await audit.list({ fromSeq: 5, toSeq: 7 })).entries.map((e) => e.seq)).toEqual([7, 6, 5]);
    } finally {
      await db.close();
    }
  });

  it('treats filter values as data, and refuses bad paging arguments', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await seed(audit, 3);
      expect((await audit.list({ agentId: "x' OR '1'='1" })).entries).toEqual([]);
      await expect(audit.list({}, { limit: 0 })).rejects.toThrow(/limit must be 1..1000/);
      await expect(audit.list({}, { limit: 5000 })).rejects.toThrow(/limit/);
      await expect(audit.list({}, { before: -1 })).rejects.toThrow(/before must be a whole number/);
      await expect(audit.list({ agentId: 5 as never })).rejects.toThrow(/agentId must be a string/);
      await expect(audit.get(1.5)).rejects.toThrow(/seq must be a whole number/);
    } finally {
      await db.close();
    }
  });

  it('iterates oldest first across pages, with filters', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await Promise.all(Array.from({ length: 2500 }, (_, i) => audit.append({ actor: { kind: 'system', id: 'elevate' }, eventType: 'token.discarded', agentId: `a${i % 5}` })));
      let n = 0;
      let last = 0;
      for await (const e of audit.iterate()) {
        expect(e.seq).toBe(last + 1);
        last = e.seq;
        n++;
      }
      expect(n).toBe(2500);
      const seqs: number[] = [];
      for await (const e of audit.iterate({ agentId: 'a3' })) seqs.push(e.seq);
      expect(seqs).toHaveLength(500);
      expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    } finally {
      await db.close();
    }
  });
});

describe('hash covers the stored entry', () => {
  it('each stored hash is recomputable from the row alone', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await seed(audit, 5);
      const rows = await db.all<AuditRow>('SELECT * FROM audit_log ORDER BY seq');
      let prev = GENESIS_HASH;
      for (const row of rows) {
        expect(computeEntryHash(prev, row)).toBe(row.hash);
        prev = row.hash;
      }
    } finally {
      await db.close();
    }
  });
});
