/**
 * SQLite-specific (adapter test): a SQLite file written before migration 019.
 * Not in the ELEVATE_TEST_STORE=postgres lane.
 */
/**
 * Migration 019 on a database written before it: checkpoint rows then existed only when their
 * copy outside the database had succeeded (a failed copy withdrew the row), so they count as
 * copied, and a checkpointer finds nothing of theirs to finish.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpointKey } from '../../src/audit/audit-checkpoint-key.ts';
import { signCheckpoint } from '../../src/audit/audit-checkpoint-sign.ts';
import { createCheckpointStore } from '../../src/audit/audit-checkpoint-store.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { openDatabase } from '../../src/store/database.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/store/migrations.ts';

describe('migration 019', () => {
  it('marks the checkpoints recorded before it as copied at their signing time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-mig-'));
    try {
      const before = join(dir, 'before');
      mkdirSync(before);
      for (const f of readdirSync(DEFAULT_MIGRATIONS_DIR)) if (Number(f.slice(0, 3)) < 19) copyFileSync(join(DEFAULT_MIGRATIONS_DIR, f), join(before, f));
      const db = await openDatabase(join(dir, 'elevate.db'));
      await migrate(db, { dir: before });
      const audit = createAuditLog(db);
      const entry = await audit.append({ actor: { kind: 'system', id: 'elevate' }, eventType: 'operation.requested' });
      const key = loadCheckpointKey(join(dir, 'checkpoint.pem'), { create: true });
      const cp = signCheckpoint(key.privateKey!, key.keyId, entry, new Date('2026-03-01T00:00:00.000Z'), 'periodic');
      await db.run('INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature, reason) VALUES (?, ?, ?, ?, ?, ?)', [cp.seq, cp.hash, cp.ts, cp.keyId, cp.signature, cp.reason]);

      await migrate(db);
      expect(await db.get('SELECT copied_at, claim_expires_at FROM audit_checkpoints WHERE seq = ?', [cp.seq])).toEqual({ copied_at: cp.ts, claim_expires_at: cp.ts });
      const store = createCheckpointStore(db, join(dir, 'archive'));
      expect(await store.unconfirmed()).toEqual([]);
      expect((await store.readAll()).checkpoints).toEqual([cp]);
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
