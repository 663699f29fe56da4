/**
 * Where signed checkpoints are kept: the audit_checkpoints table (for pages and quick look-ups)
 * and an append-only JSON Lines file outside the database (checkpoints.jsonl in the archive
 * directory), each line fsynced. Verification reads both: removing a checkpoint from one place
 * does not hide it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Queryable } from '../store/database.ts';
import { parseCheckpoint, type SignedCheckpoint } from './audit-checkpoint-sign.ts';

export const CHECKPOINT_LOG_FILE = 'checkpoints.jsonl';

export interface StoredCheckpoints {
  checkpoints: SignedCheckpoint[];
  /** Lines or rows that are not checkpoints at all (damaged or planted). */
  malformed: Array<{ where: string; message: string }>;
}

export interface CheckpointStore {
  /** File first (fsync), then the table: the copy outside the database is the one that matters. */
  save(cp: SignedCheckpoint): Promise<void>;
  /** Every checkpoint from both places, duplicates removed, by seq. */
  readAll(): Promise<StoredCheckpoints>;
  /** The highest-seq checkpoint in the table (cheap; for scheduling, not for trust). */
  latest(): Promise<SignedCheckpoint | undefined>;
  readonly logPath: string;
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

export function createCheckpointStore(db: Pick<Queryable, 'run' | 'all' | 'get'>, archiveDir: string): CheckpointStore {
  const logPath = join(archiveDir, CHECKPOINT_LOG_FILE);

  return {
    logPath,

    async save(cp) {
      mkdirSync(archiveDir, { recursive: true, mode: 0o700 });
      const handle = await open(logPath, 'a', 0o600);
      try {
        await handle.write(`${JSON.stringify(cp)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await db.run('INSERT OR IGNORE INTO audit_checkpoints (seq, hash, ts, key_id, signature, reason) VALUES (?, ?, ?, ?, ?, ?)', [
        cp.seq,
        cp.hash,
        cp.ts,
        cp.keyId,
        cp.signature,
        cp.reason,
      ]);
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
      const unique = new Map<string, SignedCheckpoint>();
      for (const cp of found) unique.set(`${cp.seq}|${cp.hash}|${cp.ts}|${cp.keyId}|${cp.signature}`, cp);
      return { checkpoints: [...unique.values()].sort((a, b) => a.seq - b.seq), malformed };
    },

    async latest() {
      const row = await db.get<CheckpointRow>('SELECT seq, hash, ts, key_id, signature, reason FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
      return row ? parseCheckpoint(fromRow(row)) : undefined;
    },
  };
}
