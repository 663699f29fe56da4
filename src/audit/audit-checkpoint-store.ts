/**
 * Where signed checkpoints are kept: the audit_checkpoints table (for pages and quick look-ups),
 * an append-only JSON Lines file outside the database (checkpoints.jsonl in the archive
 * directory), each line fsynced, and any configured external stores (a directory of write-once
 * files, an immutable Blob container: see audit-checkpoint-dir-store.ts and
 * audit-checkpoint-blob-store.ts). Verification reads them all: removing a checkpoint from one
 * place does not hide it, and a store that cannot be read fails verification. A table row counts
 * only once its copies outside the database were confirmed (copied_at): a claim whose claimer
 * died or failed mid-copy exists only in the database, which an attacker may hold.
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
  /**
   * Table rows whose copy outside the database was never confirmed (the claimer died or failed
   * mid-copy): not in `checkpoints`, because only the database holds them. Verification still
   * checks what they sign, but counts them for nothing.
   */
  unconfirmed: SignedCheckpoint[];
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
  readAll(): Promise<Omit<StoredCheckpoints, 'unreadable' | 'unconfirmed'>>;
  /** Throws when the store cannot be reached (readiness, doctor). */
  probe(): Promise<void>;
}

/** A head's checkpoint as the table holds it, and how far its copy outside the database got. */
export interface CheckpointClaim {
  checkpoint: SignedCheckpoint;
  /** This call inserted the row (and so made the copies). */
  won: boolean;
  /** Every copy outside the database was confirmed. */
  copied: boolean;
  /** Until then the claimer is copying it; after, any instance finishes an unconfirmed copy. */
  claimExpiresAt: string;
}

/**
 * How long a claimer has for its copies before another instance may finish them: well over the
 * Blob store's worst case (3 tries of 15 s) and a directory write, so a live claimer is not raced.
 */
export const CHECKPOINT_CLAIM_SECONDS = 120;

export interface CheckpointStore {
  /**
   * Saves `cp` unless its head already has a checkpoint, and returns the one that holds it. The
   * table row is the claim (seq is its key): of several instances signing one head, the first
   * insert wins and the others adopt its checkpoint without copying theirs anywhere, so no store
   * ever holds two signed checkpoints of one head. The winner then copies it outside the
   * database (external stores, then checkpoints.jsonl, each durably) and marks the row copied.
   * Should a copy fail, the row stays, unconfirmed and with its claim given up, and the error is
   * thrown: it counts for nothing (scheduling aside) until `copyOut` of that very checkpoint
   * succeeds. It is never withdrawn, because a store that did take it must not later receive
   * another checkpoint of the same seq.
   */
  save(cp: SignedCheckpoint): Promise<CheckpointClaim>;
  /** Copies a claimed checkpoint to every store outside the database (idempotent), then marks its row copied. */
  copyOut(cp: SignedCheckpoint): Promise<void>;
  /** Rows whose copy is not confirmed, by seq (few: only claims that died or failed mid-copy). */
  unconfirmed(): Promise<CheckpointClaim[]>;
  /** Every checkpoint from all places, duplicates removed, by seq. */
  readAll(): Promise<StoredCheckpoints>;
  /** The highest-seq checkpoint in the table, confirmed or not (cheap; for scheduling, not for trust). */
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
  copied_at: string | null;
  claim_expires_at: string | null;
}

const COLUMNS = 'seq, hash, ts, key_id, signature, reason, copied_at, claim_expires_at';

const fromRow = (r: CheckpointRow): unknown => ({ seq: r.seq, hash: r.hash, ts: r.ts, keyId: r.key_id, signature: r.signature, reason: r.reason });

function claimOf(row: CheckpointRow, won: boolean): CheckpointClaim | undefined {
  const checkpoint = parseCheckpoint(fromRow(row));
  // A row without a lease end (written by hand) is nobody's to finish: treat it as given up.
  return checkpoint && { checkpoint, won, copied: row.copied_at !== null, claimExpiresAt: row.claim_expires_at ?? '' };
}

/** The lease end of a claim signed at `ts`: the signer's own clock, as the checkpoint's time is. */
function claimEnd(ts: string): string {
  const t = Date.parse(ts);
  return Number.isFinite(t) ? new Date(t + CHECKPOINT_CLAIM_SECONDS * 1000).toISOString() : ts;
}

export interface CheckpointStoreOptions {
  /** When a copy was confirmed or a claim given up (default: the system clock). */
  clock?: () => Date;
}

const identity = (cp: SignedCheckpoint) => `${cp.seq}|${cp.hash}|${cp.ts}|${cp.keyId}|${cp.signature}`;

export function createCheckpointStore(
  db: Pick<Queryable, 'run' | 'all' | 'get'>,
  archiveDir: string,
  externals: readonly ExternalCheckpointStore[] = [],
  options: CheckpointStoreOptions = {},
): CheckpointStore {
  const logPath = join(archiveDir, CHECKPOINT_LOG_FILE);
  const clock = options.clock ?? (() => new Date());

  async function copyOut(cp: SignedCheckpoint): Promise<void> {
    // Every store saves a checkpoint it already holds as a no-op, so a copy finished by another
    // instance, or retried after a partial failure, writes nothing twice (checkpoints.jsonl may
    // get a duplicate line; readAll drops it).
    for (const store of externals) await store.save(cp);
    mkdirSync(archiveDir, { recursive: true, mode: 0o700 });
    const handle = await open(logPath, 'a', 0o600);
    try {
      await handle.write(`${JSON.stringify(cp)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await db.run('UPDATE audit_checkpoints SET copied_at = ? WHERE seq = ? AND signature = ? AND copied_at IS NULL', [clock().toISOString(), cp.seq, cp.signature]);
  }

  return {
    logPath,
    externals,
    copyOut,

    async save(cp) {
      const claimExpiresAt = claimEnd(cp.ts);
      const params = [cp.seq, cp.hash, cp.ts, cp.keyId, cp.signature, cp.reason, claimExpiresAt];
      // ON CONFLICT DO NOTHING: the same in SQLite and PostgreSQL; a conflicting insert waits for
      // the winner's commit, so the row read next is the winner's.
      const inserted = await db.run('INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature, reason, claim_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING', params);
      if (inserted.changes !== 1) {
        const row = await db.get<CheckpointRow>(`SELECT ${COLUMNS} FROM audit_checkpoints WHERE seq = ?`, [cp.seq]);
        const held = row && claimOf(row, false);
        if (!held) throw new CheckpointStoreConflictError(`audit_checkpoints row seq ${cp.seq} exists but is not a well-formed checkpoint`);
        return held;
      }
      try {
        await copyOut(cp);
      } catch (err) {
        // The claim stays (a store may hold the checkpoint already), unconfirmed; giving up the
        // lease lets the next run on any instance retry this very checkpoint without waiting.
        await db.run('UPDATE audit_checkpoints SET claim_expires_at = ? WHERE seq = ? AND signature = ? AND copied_at IS NULL', [clock().toISOString(), cp.seq, cp.signature]).catch(() => undefined);
        throw err;
      }
      return { checkpoint: cp, won: true, copied: true, claimExpiresAt };
    },

    async unconfirmed() {
      const rows = await db.all<CheckpointRow>(`SELECT ${COLUMNS} FROM audit_checkpoints WHERE copied_at IS NULL ORDER BY seq`);
      return rows.map((row) => claimOf(row, false)).filter((c): c is CheckpointClaim => c !== undefined);
    },

    async readAll() {
      const malformed: StoredCheckpoints['malformed'] = [];
      const found: SignedCheckpoint[] = [];
      const pending: SignedCheckpoint[] = [];
      const rows = await db.all<CheckpointRow>(`SELECT ${COLUMNS} FROM audit_checkpoints ORDER BY seq`);
      for (const row of rows) {
        const cp = parseCheckpoint(fromRow(row));
        if (!cp) malformed.push({ where: `audit_checkpoints row seq ${row.seq}`, message: 'not a well-formed checkpoint' });
        else if (row.copied_at === null) pending.push(cp);
        else found.push(cp);
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
      for (const cp of found) unique.set(identity(cp), cp);
      // An unconfirmed row whose checkpoint a store outside the database does hold counts as that store's.
      const unconfirmed = pending.filter((cp) => !unique.has(identity(cp)));
      return { checkpoints: [...unique.values()].sort((a, b) => a.seq - b.seq), unconfirmed, malformed, unreadable };
    },

    async latest() {
      const row = await db.get<CheckpointRow>(`SELECT ${COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`);
      return row ? parseCheckpoint(fromRow(row)) : undefined;
    },
  };
}
