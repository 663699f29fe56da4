/**
 * Retention: entries older than ELEVATE_AUDIT_RETENTION_DAYS leave the database, oldest first,
 * in this order and no other:
 * 1. the expiring prefix of the chain is re-verified and written to an archive file (fsynced,
 *    renamed into place, directory fsynced) sealed by a signed checkpoint of its last entry;
 * 2. only then the chain's anchor moves to that entry (one transaction), signed with the
 *    checkpoint key (audit-anchor-seal.ts: only an anchor this key signed passes verification),
 *    and the archived rows are deleted (in chunks, behind the anchor, where the audit_log
 *    triggers allow it);
 * 3. the archiving itself is appended to the log (`audit.archived`).
 * A crash after 1 leaves a complete archive and an intact database; after the anchor moves, the
 * rows behind it are ignored by verification and deleted by the next run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.ts';
import type { Database } from '../store/database.ts';
import { chainStart, setAnchor } from './audit-anchor.ts';
import { anchorSealText, signAnchor } from './audit-anchor-seal.ts';
import { ARCHIVE_FORMAT, archiveFileName, headerLine, rowLine, sealLine } from './audit-archive-file.ts';
import type { SignedCheckpoint } from './audit-checkpoint-sign.ts';
import type { Checkpointer } from './audit-checkpointer.ts';
import { computeEntryHash, type AuditRow } from './audit-hash.ts';
import type { AuditLog } from './audit-log.ts';
import { ROW_COLUMNS } from './audit-rows.ts';

export interface RetentionDeps {
  db: Database;
  audit: Pick<AuditLog, 'append'>;
  checkpointer: Pick<Checkpointer, 'checkpointNow' | 'key'>;
  archiveDir: string;
  retentionDays: number;
  clock?: () => Date;
  logger?: Logger;
}

export interface ArchiveResult {
  file: string;
  fromSeq: number;
  throughSeq: number;
  entries: number;
  sha256: string;
  seal: SignedCheckpoint;
  /** Rows deleted from the database (includes leftovers of an interrupted run). */
  deleted: number;
}

export class RetentionError extends Error {
  override name = 'RetentionError';
}

const PAGE = 5000;
const DELETE_CHUNK = 10_000;

/** Deletes rows behind the anchor, a chunk per transaction so appends are never held up for long. */
async function deleteBehindAnchor(db: Database): Promise<number> {
  let deleted = 0;
  for (;;) {
    const changes = await db.transaction(async (tx) => {
      const start = await chainStart(tx);
      const r = await tx.run(`DELETE FROM audit_log WHERE seq IN (SELECT seq FROM audit_log WHERE seq <= ? ORDER BY seq LIMIT ${DELETE_CHUNK})`, [start.seq]);
      return r.changes;
    });
    deleted += changes;
    if (changes < DELETE_CHUNK) return deleted;
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Archives and removes the expired prefix of the chain; undefined when nothing has expired. */
export async function archiveExpired(deps: RetentionDeps): Promise<ArchiveResult | undefined> {
  if (!Number.isSafeInteger(deps.retentionDays) || deps.retentionDays < 1) throw new RetentionError('retention must be a positive whole number of days');
  const clock = deps.clock ?? (() => new Date());
  const leftovers = await deleteBehindAnchor(deps.db);
  const start = await chainStart(deps.db);
  const cutoff = new Date(clock().getTime() - deps.retentionDays * 86_400_000).toISOString();
  const first = await deps.db.get<{ ts: string }>('SELECT ts FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1', [start.seq]);
  if (!first || first.ts >= cutoff) return undefined;

  mkdirSync(deps.archiveDir, { recursive: true, mode: 0o700 });
  const fromSeq = start.seq + 1;
  const tmp = join(deps.archiveDir, `.${archiveFileName(fromSeq, 0)}.tmp`);
  rmSync(tmp, { force: true });
  const digest = createHash('sha256');
  const handle = await open(tmp, 'wx', 0o600);
  let last: { seq: number; hash: string } | undefined;
  let entries = 0;
  let seal: SignedCheckpoint;
  try {
    const write = async (text: string) => {
      digest.update(text, 'utf8');
      await handle.write(text);
    };
    await write(headerLine({ format: ARCHIVE_FORMAT, fromSeq, prevHash: start.hash, createdAt: clock().toISOString() }));
    let running = start.hash;
    let expected = fromSeq;
    let after = start.seq;
    scan: for (;;) {
      const rows = await deps.db.all<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`, [after]);
      let text = '';
      for (const row of rows) {
        // Stop at the first entry still within the retention period: the archive is a prefix.
        if (row.ts >= cutoff) {
          await write(text);
          break scan;
        }
        // Never archive (and so delete) a chain that does not verify: that would destroy evidence.
        if (row.seq !== expected || row.prev_hash !== running || computeEntryHash(row.prev_hash, row) !== row.hash) {
          throw new RetentionError(`the audit chain does not verify at seq ${expected}; nothing was archived (run elevate audit verify)`);
        }
        text += rowLine(row);
        running = row.hash;
        expected += 1;
        entries += 1;
        last = { seq: row.seq, hash: row.hash };
      }
      await write(text);
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1]!.seq;
    }
    if (!last) throw new RetentionError('nothing to archive');
    seal = await deps.checkpointer.checkpointNow('archive', last);
    await write(sealLine(seal, entries));
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    rmSync(tmp, { force: true });
    throw err;
  }
  await handle.close();
  const name = archiveFileName(fromSeq, last.seq);
  const file = join(deps.archiveDir, name);
  await rename(tmp, file);
  await fsyncDir(deps.archiveDir);

  const through = last;
  const anchor = { throughSeq: through.seq, lastHash: through.hash, archiveRef: name };
  // checkpointNow signed the seal above, so the key has its private half.
  const anchorSeal = anchorSealText(signAnchor(deps.checkpointer.key.privateKey!, deps.checkpointer.key.keyId, anchor));
  await deps.db.transaction(async (tx) => {
    const now = await chainStart(tx);
    if (now.seq !== start.seq || now.hash !== start.hash) throw new RetentionError('another retention run moved the anchor first; this archive was not applied');
    await setAnchor(tx, anchor, clock(), anchorSeal);
  }).catch((err: unknown) => {
    rmSync(file, { force: true });
    throw err;
  });
  const deleted = leftovers + (await deleteBehindAnchor(deps.db));
  const sha256 = digest.digest('hex');
  deps.logger?.info({ file: name, fromSeq, throughSeq: through.seq, entries }, 'audit entries archived');
  await deps.audit.append({
    actor: { kind: 'system', id: 'elevate', name: 'Elevate retention' },
    eventType: 'audit.archived',
    outcome: 'succeeded',
    details: { file: name, fromSeq, throughSeq: through.seq, entries, sha256, lastHash: through.hash, retentionDays: deps.retentionDays, cutoff, sealSignedAt: seal.ts },
  });
  return { file, fromSeq, throughSeq: through.seq, entries, sha256, seal, deleted };
}
