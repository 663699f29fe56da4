// SQLite-only: a second read-only connection on the file, two processes on one file, SQLITE_READONLY, PRAGMA query_only, EXPLAIN QUERY PLAN.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditAppendError } from '../../src/audit/audit-errors.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { filterClause } from '../../src/audit/audit-rows.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { openDatabase } from '../../src/store/database.ts';
import { openStore } from '../../src/store/migrations.ts';
import { useTempDirs } from '../store/store-fixtures.ts';
import { openAudit, sampleInput } from './audit-fixtures.ts';

const tempDir = useTempDirs();

describe('audit log on a SQLite file', () => {
  it('resolves only once the entry is committed and readable from another connection', async () => {
    const dir = tempDir();
    const { db, audit, path } = await openAudit(dir);
    const other = await openDatabase(path, { readonly: true });
    try {
      const entry = await audit.append(sampleInput(5));
      expect(await other.get('SELECT seq, hash FROM audit_log WHERE seq = ?', [entry.seq])).toEqual({ seq: 1, hash: entry.hash });
    } finally {
      await other.close();
      await db.close();
    }
  });

  it('keeps the chain consistent when two processes append to the same file', async () => {
    const dir = tempDir();
    const path = join(dir, 'shared.db');
    const dbA = await openStore({ dbPath: path });
    const dbB = await openStore({ dbPath: path });
    try {
      const a = createAuditLog(dbA);
      const b = createAuditLog(dbB);
      await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).append(sampleInput(i))));
      expect(await a.verify()).toMatchObject({ ok: true, entriesChecked: 100, lastSeq: 100 });
    } finally {
      await dbA.close();
      await dbB.close();
    }
  });

  it('rejects with AuditAppendError on a read-only database, and records nothing', async () => {
    const dir = tempDir();
    const { db, audit, path } = await openAudit(dir);
    await audit.append(sampleInput(0));
    await db.close();
    const ro = await openDatabase(path, { readonly: true });
    try {
      const metrics = createMetrics();
      const err = await createAuditLog(ro, { metrics }).append(sampleInput(1)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuditAppendError);
      expect((err as Error).message).toMatch(/^audit entry not recorded: SQLITE_READONLY/);
      expect((err as Error & { cause: unknown }).cause).toBeInstanceOf(Error);
      expect(await ro.get('SELECT COUNT(*) AS n FROM audit_log')).toEqual({ n: 1 });
      expect((await metrics.auditAppends.get()).values).toEqual([expect.objectContaining({ labels: { result: 'error' }, value: 1 })]);
    } finally {
      await ro.close();
    }
  });

  it('rejects every waiter of a batch when the store becomes query-only under concurrent appends', async () => {
    const { db, audit } = await openAudit(tempDir());
    try {
      await audit.append(sampleInput(0));
      await db.exec('PRAGMA query_only = ON');
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => audit.append(sampleInput(i))));
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof AuditAppendError)).toBe(true);
      expect(await audit.head()).toMatchObject({ seq: 1 });
      await db.exec('PRAGMA query_only = OFF');
      expect((await audit.append(sampleInput(2))).seq).toBe(2); // the writer recovers
    } finally {
      await db.close();
    }
  });

  it('uses an index for each filter with seq ordering, without a sort step', async () => {
    const { db } = await openAudit(tempDir());
    try {
      // The filter's own SQL (filterClause), one field at a time.
      const fields = ['agentId', 'requestId', 'action', 'scope', 'outcome', 'actingIdentity', 'approverId', 'eventType', 'actorId', 'subject'] as const;
      for (const field of fields) {
        const { terms, params } = filterClause({ [field]: 'X/y' });
        const plan = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT * FROM audit_log WHERE ${[...terms, 'seq < ?'].join(' AND ')} ORDER BY seq DESC LIMIT 50`, [...params, 100]);
        const text = plan.map((p) => p.detail).join(' | ');
        expect(text, field).toMatch(field === 'scope' ? /USING INDEX audit_log_by_scope_lower/ : /USING INDEX audit_log_by_/);
        expect(text, field).not.toMatch(/TEMP B-TREE/);
      }
    } finally {
      await db.close();
    }
  });
});
