/**
 * Shared by the range-verification tests (audit-verify-ranges*.test.ts): a seeded log with its
 * guards dropped, the entry-by-entry walk as the reference, and what tamperers do.
 */
import { expect } from 'vitest';
import { CONTENT_COLUMNS, computeEntryHash, type AuditRow } from '../../src/audit/audit-hash.ts';
import { verifyChain, type VerifyThreads } from '../../src/audit/audit-verify.ts';
import type { VerifyResult } from '../../src/audit/audit-types.ts';
import type { Database } from '../../src/store/database.ts';
import { useTempDirs } from '../store/store-fixtures.ts';
import { dropGuards, openAudit, seed } from './audit-fixtures.ts';

export const tempDir = useTempDirs();
export const N = 23;

/** The same database, without a file to reopen or a server to COPY from: verifyChain can only walk it (in the engine's SQL). */
export const walkOnly = (db: Database) => ({ get: db.get.bind(db), all: db.all.bind(db), dialect: { ...db.dialect, file: undefined } });

/** Ranges that end mid-chain at many places, several connections, and the defaults. */
export const SPLITS: VerifyThreads[] = [{ rangeKeys: 1, lanes: 1 }, { rangeKeys: 3 }, { rangeKeys: 7, lanes: 3 }, {}];
/** All ranges checked by a worker thread (the main thread only joins). */
export const WORKER: VerifyThreads = { rangeKeys: 4, workers: 1, minWorkerKeys: 0, here: false };

export async function judgedAlike(db: Database, label: string, opts: { worker?: boolean } = {}): Promise<VerifyResult> {
  const expected = await verifyChain(walkOnly(db));
  for (const split of [...SPLITS, ...(opts.worker ? [WORKER] : [])]) {
    expect(await verifyChain(db, {}, split), `${label}, split ${JSON.stringify(split)}`).toEqual(expected);
  }
  return expected;
}

export async function withLog(n: number, fn: (db: Database) => Promise<void>): Promise<void> {
  const { db, audit } = await openAudit(tempDir());
  try {
    await seed(audit, n);
    await dropGuards(db);
    await fn(db);
  } finally {
    await db.close();
  }
}

export const rowAt = async (db: Database, seq: number) => (await db.get<AuditRow>('SELECT * FROM audit_log WHERE seq = ?', [seq]))!;

/** Re-hashes entries from..N so that they link again (what a tamperer covering tracks does). */
export async function relink(db: Database, from: number, prevHash: string): Promise<void> {
  let prev = prevHash;
  for (let s = from; s <= N; s++) {
    const row = { ...(await rowAt(db, s)), prev_hash: prev };
    row.hash = computeEntryHash(prev, row);
    await db.run('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?', [row.prev_hash, row.hash, s]);
    prev = row.hash;
  }
}

/** Rebuilds audit_log without types or constraints: values keep whatever type a tamperer stores. */
export async function rebuildLoose(db: Database): Promise<void> {
  const columns = [...CONTENT_COLUMNS, 'prev_hash', 'hash'].join(', ');
  await db.exec('DROP TRIGGER audit_anchor_insert_links; DROP TRIGGER audit_anchor_update_forward;');
  await db.exec(`CREATE TABLE loose (${columns}); INSERT INTO loose SELECT ${columns} FROM audit_log; DROP TABLE audit_log; ALTER TABLE loose RENAME TO audit_log;`);
}

/** A different value for a column that still passes the table's CHECK constraints. */
export function tampered(column: string, row: AuditRow): string | number {
  if (column === 'seq') return 1000;
  if (column === 'actor_kind') return row.actor_kind === 'user' ? 'agent' : 'user';
  if (column === 'hash' || column === 'prev_hash') return 'f'.repeat(64);
  const v = row[column as keyof AuditRow];
  return v === null ? 'forged' : `${v}-forged`;
}
