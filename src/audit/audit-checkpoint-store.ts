/**
 * Where signed checkpoints are kept: the audit_checkpoints table (for pages and quick look-ups),
 * an append-only JSON Lines file outside the database (checkpoints.jsonl in the archive
 * directory), each line fsynced, and any configured external stores (a directory of write-once
 * files, an immutable Blob container: see audit-checkpoint-dir-store.ts and
 * audit-checkpoint-blob-store.ts). Verification reads them all: removing a checkpoint from one
 * place does not hide it, and a store that cannot be read fails verification.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queryable } from '../store/database.ts';
import { parseCheckpoint, type SignedCheckpoint } from './audit-checkpoint-sign.ts';

export const CHECKPOINT_LOG_FILE = 'checkpoints.jsonl';

/** The table holds something at a checkpoint's seq that is not a checkpoint (damaged or planted). */
export class CheckpointStoreConflictError extends Error {
  override name = 'CheckpointStoreConflictError';
}

export interface StoredCheckpoints {
  checkpoints: SignedCheckpoint[];
  /** Lines or rows that are not checkpoints at all (damaged or planted). */
  malformed: Array<{ where: string; message: string }>;
  /** External stores that could not be read (verification cannot vouch for what they hold). */
  unreadable: Array<{ where: string; message: string }>;
}

/** A store away from the database that keeps every checkpoint and refuses to overwrite one. */
export interface ExternalCheckpointStore {
  /** What to call it in messages, e.g. `directory /var/lib/elevate/checkpoints`. */
  readonly name: string;
  /** Writes one checkpoint durably; saving the same checkpoint again is a no-op, never an overwrite. */
  save(cp: SignedCheckpoint): Promise<void>;
  /** Every checkpoint it holds; throws when the store cannot be read at all. */
  readAll(): Promise<Omit<StoredCheckpoints, 'unreadable'>>;
  /** Throws when the store cannot be reached (readiness, doctor). */
  probe(): Promise<void>;
}

export interface CheckpointStore {
  /**
   * Saves `cp` unless its head already has a checkpoint, and returns the one that holds it. The
   * table row is the claim (seq is its key): of several instances signing one head, the first
   * insert wins and the others adopt its checkpoint without copying theirs anywhere, so no store
   * ever holds two signed checkpoints of one head. The winner then copies it outside the
   * database (external stores, then checkpoints.jsonl, each durably); should that fail, its
   * claim is withdrawn and the error thrown: a checkpoint counts as taken (scheduling,
   * verification's table) only while the copies an attacker with the database cannot remove
   * hold it, and the next attempt signs the then-current head again.
   */
  save(cp: SignedCheckpoint): Promise<SignedCheckpoint>;
  /** Every checkpoint from both places, duplicates removed, by seq. */
  readAll(): Promise<StoredCheckpoints>;
  /** The highest-seq checkpoint in the table (cheap; for scheduling, not for trust). */
  latest(): Promise<SignedCheckpoint | undefined>;
  readonly logPath: string;
  readonly externals: readonly ExternalCheckpointStore[];
}

interface CheckpointRow {
  seq: number;
  hash: string;
  ts: string;
  key_id: string;
  signature: string;
  reason: string;
}

const fromRow = (r: CheckpointRow): unknown => ({ seq: r.seq, hash: r.hash, ts: r.ts, keyId: r.key_id, signature: r.signature, reason: r.reason });

export function createCheckpointStore(
  db: Pick<Queryable, 'run' | 'all' | 'get'>,
  archiveDir: string,
  externals: readonly ExternalCheckpointStore[] = [],
): CheckpointStore {
  const logPath = join(archiveDir, CHECKPOINT_LOG_FILE);

  return {
    logPath,
    externals,

    async save(cp) {
      const params = [cp.seq, cp.hash, cp.ts, cp.keyId, cp.signature, cp.reason];
      // ON CONFLICT DO NOTHING: the same in SQLite and PostgreSQL; a conflicting insert waits for
      // the winner's commit, so the row read next is the winner's.
      const inserted = await db.run('INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature, reason) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING', params);
      if (inserted.changes !== 1) {
        const row = await db.get<CheckpointRow>('SELECT seq, hash, ts, key_id, signature, reason FROM audit_checkpoints WHERE seq = ?', [cp.seq]);
        const held = row && parseCheckpoint(fromRow(row));
        if (!held) throw new CheckpointStoreConflictError(`audit_checkpoints row seq ${cp.seq} exists but is not a well-formed checkpoint`);
        return held;
      }
      try {
        for (const store of externals) await store.save(cp);
        mkdirSync(archiveDir, { recursive: true, mode: 0o700 });
        const handle = await open(logPath, 'a', 0o600);
        try {
          await handle.write(`${JSON.stringify(cp)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (err) {
        await db.run('DELETE FROM audit_checkpoints WHERE seq = ? AND signature = ?', [cp.seq, cp.signature]).catch(() => undefined);
        throw err;
      }
      return cp;
    },

    async readAll() {
      const malformed: StoredCheckpoints['malformed'] = [];
      const found: SignedCheckpoint[] = [];
      const rows = await db.all<CheckpointRow>('SELECT seq, hash, ts, key_id, signature, reason FROM audit_checkpoints ORDER BY seq');
      for (const row of rows) {
        const cp = parseCheckpoint(fromRow(row));
        if (cp) found.push(cp);
        else malformed.push({ where: `audit_checkpoints row seq ${row.seq}`, message: 'not a well-formed checkpoint' });
      }
      if (existsSync(logPath)) {
        const lines = (await readFile(logPath, 'utf8')).split('\n');
        lines.forEach((line, i) => {
          if (line.trim() === '') return;
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch {
            parsed = undefined;
          }
          const cp = parseCheckpoint(parsed);
          if (cp) found.push(cp);
          else malformed.push({ where: `${CHECKPOINT_LOG_FILE} line ${i + 1}`, message: 'not a well-formed checkpoint' });
        });
      }
      const unreadable: StoredCheckpoints['unreadable'] = [];
      for (const store of externals) {
        try {
          const more = await store.readAll();
          found.push(...more.checkpoints);
          malformed.push(...more.malformed);
        } catch (err) {
          unreadable.push({ where: store.name, message: (err as Error).message.split('\n')[0]! });
        }
      }
      const unique = new Map<string, SignedCheckpoint>();
      for (const cp of found) unique.set(`${cp.seq}|${cp.hash}|${cp.ts}|${cp.keyId}|${cp.signature}`, cp);
      return { checkpoints: [...unique.values()].sort((a, b) => a.seq - b.seq), malformed, unreadable };
    },

    async latest() {
      const row = await db.get<CheckpointRow>('SELECT seq, hash, ts, key_id, signature, reason FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
      return row ? parseCheckpoint(fromRow(row)) : undefined;
    },
  };
}
