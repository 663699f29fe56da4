import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAnchor } from '../../src/audit/audit-anchor.ts';
import { verifyArchiveDir, verifyArchiveFile } from '../../src/audit/audit-archive-file.ts';
import { verifyWithCheckpoints } from '../../src/audit/audit-checkpoint-verify.ts';
import { archiveExpired, RetentionError } from '../../src/audit/audit-retention.ts';
import type { Database } from '../../src/store/database.ts';
import { appendMany, dropGuards, rig, rows, useTempDir, type Rig } from './audit-tamper-fixtures.ts';

const tempDir = useTempDir();
const DAY = 86_400_000;

/** 10 entries a day for `days` days, oldest first. */
async function history(r: Rig, days: number): Promise<void> {
  for (let d = 0; d < days; d++) {
    await appendMany(r.audit, 10, d * 10);
    r.time.advance(DAY);
  }
}

const retention = (r: Rig, days = 30, db: Database = r.db) =>
  archiveExpired({ db, audit: r.audit, checkpointer: r.checkpointer, archiveDir: r.archiveDir, retentionDays: days, clock: r.time.clock });

describe('retention', () => {
  it('archives the expired prefix with its seal, deletes it, and the remaining chain still verifies from the anchor', async () => {
    const r = await rig(tempDir());
    await history(r, 40);
    const before = await rows(r.db);
    const result = await retention(r);
    expect(result).toBeDefined();
    // 40 days of history, 30 kept: the first 10 days (100 entries) plus the tick after each day go.
    expect(result!.fromSeq).toBe(1);
    expect(result!.entries).toBe(result!.throughSeq);
    expect(result!.throughSeq).toBeGreaterThanOrEqual(90);
    expect(result!.throughSeq).toBeLessThanOrEqual(110);
    const cutoff = new Date(r.time.now() - 30 * DAY).toISOString();
    expect(before.filter((e) => e.seq <= result!.throughSeq).every((e) => e.ts < cutoff)).toBe(true);
    expect(before.find((e) => e.seq === result!.throughSeq + 1)!.ts >= cutoff).toBe(true);

    const left = await rows(r.db);
    expect(left[0]!.seq).toBe(result!.throughSeq + 1);
    expect(await readAnchor(r.db)).toMatchObject({ throughSeq: result!.throughSeq, lastHash: before[result!.throughSeq - 1]!.hash });
    expect((await r.audit.verify()).ok).toBe(true);

    const checked = await verifyWithCheckpoints({ db: r.db, key: r.key, store: r.store });
    expect(checked.ok).toBe(true);
    expect(checked.checkpoints.verified).toBeGreaterThanOrEqual(1);

    const archive = await verifyArchiveFile(result!.file, r.key);
    expect(archive).toMatchObject({ ok: true, fromSeq: 1, throughSeq: result!.throughSeq, entries: result!.entries, lastHash: before[result!.throughSeq - 1]!.hash });

    // The archiving is itself on the record, as the newest entry.
    const last = left[left.length - 1]!;
    expect(last.event_type).toBe('audit.archived');
    expect(JSON.parse(last.details)).toMatchObject({ throughSeq: result!.throughSeq, entries: result!.entries, sha256: result!.sha256 });
    await r.db.close();
  });

  it('does nothing when nothing has expired, and continues the first archive on a later run', async () => {
    const r = await rig(tempDir());
    await history(r, 5);
    expect(await retention(r)).toBeUndefined();
    await history(r, 40);
    const first = await retention(r);
    await history(r, 10);
    const second = await retention(r);
    expect(second!.fromSeq).toBe(first!.throughSeq + 1);
    const set = await verifyArchiveDir(r.archiveDir, r.key);
    expect(set.ok).toBe(true);
    expect(set.files).toHaveLength(2);
    expect(set.lastHash).toBe((await readAnchor(r.db))!.lastHash);
    expect((await r.audit.verify()).ok).toBe(true);
    expect((await verifyWithCheckpoints({ db: r.db, key: r.key, store: r.store })).ok).toBe(true);
    await r.db.close();
  });

  it('writes and fsyncs the archive before the anchor moves and rows are deleted', async () => {
    const r = await rig(tempDir());
    await history(r, 35);
    const seen: Array<{ files: string[]; sealed: boolean }> = [];
    // Observe the database at the moment the first transaction (the anchor move) begins.
    const spy = new Proxy(r.db, {
      get(target, prop, receiver) {
        if (prop === 'transaction') {
          return (fn: Parameters<Database['transaction']>[0]) => {
            const files = (existsSync(r.archiveDir) ? readdirSync(r.archiveDir) : []).filter((f) => f.endsWith('.jsonl') && f.startsWith('audit-archive-'));
            const sealed = files.length > 0 && readFileSync(join(r.archiveDir, files[0]!), 'utf8').trim().split('\n').pop()!.startsWith('{"seal"');
            seen.push({ files, sealed });
            return target.transaction(fn);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    await retention(r, 30, spy);
    // The first transaction is the clean-up of leftovers, before any archive exists; the one after the archive was written finds it sealed.
    const afterArchive = seen.filter((s) => s.files.length > 0);
    expect(afterArchive.length).toBeGreaterThan(0);
    expect(afterArchive.every((s) => s.sealed)).toBe(true);
    await r.db.close();
  });

  it('refuses to archive a chain that does not verify, and deletes nothing', async () => {
    const r = await rig(tempDir());
    await history(r, 40);
    await dropGuards(r.db);
    await r.db.run(`UPDATE audit_log SET details = '{"i":"changed"}' WHERE seq = 20`);
    const before = await rows(r.db);
    await expect(retention(r)).rejects.toThrow(RetentionError);
    expect(await rows(r.db)).toEqual(before);
    expect(existsSync(r.archiveDir) ? readdirSync(r.archiveDir).filter((f) => f.startsWith('audit-archive') || f.endsWith('.tmp')) : []).toEqual([]);
    expect(await readAnchor(r.db)).toBeUndefined();
    await r.db.close();
  });

  it('refuses when the seal cannot be signed, leaving the database as it was', async () => {
    const r = await rig(tempDir());
    await history(r, 40);
    const before = await rows(r.db);
    const failing = { key: r.key, checkpointNow: () => Promise.reject(new Error('key unavailable')) };
    await expect(archiveExpired({ db: r.db, audit: r.audit, checkpointer: failing, archiveDir: r.archiveDir, retentionDays: 30, clock: r.time.clock })).rejects.toThrow(/key unavailable/);
    expect(await rows(r.db)).toEqual(before);
    expect(readdirSync(r.archiveDir).filter((f) => f.startsWith('audit-archive') || f.endsWith('.tmp'))).toEqual([]);
    await r.db.close();
  });

  it('detects a tampered or cut archive file', async () => {
    const r = await rig(tempDir());
    await history(r, 40);
    const { file } = (await retention(r))!;
    const lines = readFileSync(file, 'utf8').trim().split('\n');

    writeFileSync(file, `${lines.slice(0, -1).join('\n')}\n`);
    expect((await verifyArchiveFile(file, r.key)).problem).toMatch(/no seal/);

    const changed = [...lines];
    changed[3] = changed[3]!.replace('"actor_id":"a1"', '"actor_id":"a2"');
    writeFileSync(file, `${changed.join('\n')}\n`);
    expect((await verifyArchiveFile(file, r.key)).problem).toMatch(/entry 3 does not match its hash/);

    const dropped = [...lines];
    dropped.splice(5, 1);
    writeFileSync(file, `${dropped.join('\n')}\n`);
    expect((await verifyArchiveFile(file, r.key)).problem).toMatch(/expected seq 5/);

    writeFileSync(file, `${lines.join('\n')}\n`);
    expect((await verifyArchiveFile(file, r.key)).ok).toBe(true);
    await r.db.close();
  });

  it('signs the anchor it sets, so the log verifies even when a periodic checkpoint already stood at the last archived entry', async () => {
    const r = await rig(tempDir());
    await history(r, 40);
    // The last entry retention will archive is the last one older than 30 days: checkpoint it first,
    // as the periodic tick would have when the log went quiet there.
    const cutoff = new Date(r.time.now() - 30 * DAY).toISOString();
    const boundary = (await rows(r.db)).filter((e) => e.ts < cutoff).pop()!;
    await r.checkpointer.checkpointNow('periodic', { seq: boundary.seq, hash: boundary.hash });
    const result = (await retention(r))!;
    expect(result.throughSeq).toBe(boundary.seq);
    expect(result.seal.reason).toBe('periodic');
    expect((await readAnchor(r.db))?.seal).toMatch(/^\{"keyId":"[^"]+","signature":"[A-Za-z0-9+/]+=*"\}$/);
    const checked = await verifyWithCheckpoints({ db: r.db, key: r.key, store: r.store });
    expect(checked.problems).toEqual([]);
    expect(checked.warnings).toEqual([]);
    await r.db.close();
  });

  it('rejects a retention period that is not a positive whole number of days', async () => {
    const r = await rig(tempDir());
    await expect(retention(r, 0)).rejects.toThrow(/positive whole number/);
    await expect(retention(r, 1.5)).rejects.toThrow(/positive whole number/);
    await r.db.close();
  });
});
