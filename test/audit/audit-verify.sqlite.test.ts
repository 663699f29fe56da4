// SQLite-only: a table rebuilt without types (NULL hashes, integer prev_hash, real seq) and NUL in text columns, which a PostgreSQL text column cannot hold.
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, computeEntryHash, type AuditRow } from '../../src/audit/audit-hash.ts';
import type { AuditLog } from '../../src/audit/audit-log.ts';
import { verifyChain } from '../../src/audit/audit-verify.ts';
import type { Database, SqlParams } from '../../src/store/database.ts';
import { useTempDirs } from '../store/store-fixtures.ts';
import { dropGuards, openAudit, rowAt, sampleInput, withTamperableLog } from './audit-fixtures.ts';

const tempDir = useTempDirs();
const N = 12;

const withLog = (n: number, fn: (db: Database, audit: AuditLog) => Promise<void>) => withTamperableLog(tempDir(), n, fn);


describe('verify on a SQLite file', () => {
  it('reports, rather than crashes on, a table rebuilt without its constraints holding NULLs and odd types', async () => {
    await withLog(N, async (db, audit) => {
      await db.exec('DROP TRIGGER audit_anchor_insert_links; DROP TRIGGER audit_anchor_update_forward;');
      await db.exec('CREATE TABLE loose AS SELECT * FROM audit_log; DROP TABLE audit_log; ALTER TABLE loose RENAME TO audit_log;');
      expect((await audit.verify()).ok).toBe(true);
      const three = await rowAt(db, 3);
      await db.run('UPDATE audit_log SET hash = NULL WHERE seq = 3');
      expect((await audit.verify()).firstBreak).toMatchObject({ seq: 3, kind: 'changed' });
      await db.run('UPDATE audit_log SET hash = ? WHERE seq = 3', [three.hash]);
      await db.run("UPDATE audit_log SET hash = 'short', prev_hash = 42, seq = 5.5 WHERE seq = 5");
      expect((await audit.verify()).firstBreak).toMatchObject({ seq: 5 });
    });
  });

  it('pre-checks NUL in text columns as the canonical form does, so no row needs a second read', async () => {
    // Appends now record NUL in a column as U+FFFD; a database written before that can still hold
    // one, so the rows are rewritten here as such a database would have stored them, chain and all.
    const { db, audit } = await openAudit(tempDir());
    try {
      const odd = 'nul\u0000 ctl\u0001\u001f\u007f quote" back\\ é 😀';
      for (let i = 0; i < 5; i++) await audit.append({ ...sampleInput(i), details: { odd } });
      await dropGuards(db);
      let prev = GENESIS_HASH;
      for (let seq = 1; seq <= 5; seq++) {
        const legacy: AuditRow = { ...(await rowAt(db, seq)), subject: odd, actor_id: odd, actor_name: odd, prev_hash: prev };
        legacy.hash = computeEntryHash(prev, legacy);
        await db.run('UPDATE audit_log SET subject = ?, actor_id = ?, actor_name = ?, prev_hash = ?, hash = ? WHERE seq = ?', [odd, odd, odd, prev, legacy.hash, seq]);
        prev = legacy.hash;
      }
      expect((await rowAt(db, 3)).subject).toBe(odd);
      let fullRowReads = 0;
      const view = {
        all: db.all.bind(db),
        get: <T>(sql: string, params?: SqlParams) => {
          if (/WHERE seq = \?/.test(sql)) fullRowReads += 1;
          return db.get<T>(sql, params);
        },
      };
      expect(await verifyChain(view)).toMatchObject({ ok: true, entriesChecked: 5 });
      expect(fullRowReads).toBe(0);
    } finally {
      await db.close();
    }
  });
});
