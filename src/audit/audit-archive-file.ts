/**
 * Archive files: the entries retention removes from the database, as JSON Lines, sealed by a
 * signed checkpoint of their last entry.
 *
 *   line 1:   {"archive": {"format": "elevate-audit-archive/v1", "fromSeq", "prevHash", "createdAt"}}
 *   lines:    one audit_log row each, column for column as stored (details as its canonical text),
 *             so every hash can be recomputed from the file alone (see audit-hash.ts)
 *   last:     {"seal": <signed checkpoint of the last entry>, "entries": n}
 *
 * The first entry links to `prevHash` (64 zeros, or the previous archive's seal), the seal's
 * hash is the anchor the live chain continues from.
 */
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CheckpointKey } from './audit-checkpoint-key.ts';
import { checkpointSignatureValid, parseCheckpoint, type SignedCheckpoint } from './audit-checkpoint-sign.ts';
import { computeEntryHash, isHashHex, type AuditRow } from './audit-hash.ts';

export const ARCHIVE_FORMAT = 'elevate-audit-archive/v1';
const FILE_NAME = /^audit-archive-(\d{12})-(\d{12})\.jsonl$/;

export function archiveFileName(fromSeq: number, throughSeq: number): string {
  return `audit-archive-${String(fromSeq).padStart(12, '0')}-${String(throughSeq).padStart(12, '0')}.jsonl`;
}

export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT;
  fromSeq: number;
  prevHash: string;
  createdAt: string;
}

export function headerLine(header: ArchiveHeader): string {
  return `${JSON.stringify({ archive: header })}\n`;
}

export function rowLine(row: AuditRow): string {
  return `${JSON.stringify(row)}\n`;
}

export function sealLine(seal: SignedCheckpoint, entries: number): string {
  return `${JSON.stringify({ seal, entries })}\n`;
}

export interface ArchiveVerifyResult {
  file: string;
  ok: boolean;
  fromSeq: number | null;
  throughSeq: number | null;
  prevHash: string | null;
  lastHash: string | null;
  entries: number;
  problem?: string;
}

const ROW_KEYS = ['seq', 'ts', 'actor_kind', 'actor_id', 'actor_name', 'event_type', 'subject', 'agent_id', 'request_id', 'action', 'scope', 'outcome', 'acting_identity', 'approver_id', 'details', 'prev_hash', 'hash'];

function asRow(value: unknown): AuditRow | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (!ROW_KEYS.every((k) => k in v)) return undefined;
  if (typeof v.seq !== 'number' || typeof v.details !== 'string' || !isHashHex(v.hash) || !isHashHex(v.prev_hash)) return undefined;
  return v as unknown as AuditRow;
}

/** Recomputes the archive's chain and checks its seal; streams the file (constant memory). */
export async function verifyArchiveFile(path: string, key: Pick<CheckpointKey, 'publicKey' | 'keyId'>): Promise<ArchiveVerifyResult> {
  const result: ArchiveVerifyResult = { file: path, ok: false, fromSeq: null, throughSeq: null, prevHash: null, lastHash: null, entries: 0 };
  const fail = (problem: string) => ({ ...result, ok: false, problem });
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  let running: string | undefined;
  let expectedSeq = 0;
  let seal: { cp: SignedCheckpoint; entries: unknown } | undefined;
  try {
    for await (const line of lines) {
      lineNo += 1;
      if (seal) return fail(`line ${lineNo}: content after the seal`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return fail(`line ${lineNo} is not JSON`);
      }
      const obj = parsed as Record<string, unknown>;
      if (lineNo === 1) {
        const h = obj?.archive as Partial<ArchiveHeader> | undefined;
        if (!h || h.format !== ARCHIVE_FORMAT || typeof h.fromSeq !== 'number' || !isHashHex(h.prevHash)) return fail('line 1 is not an archive header');
        result.fromSeq = h.fromSeq;
        result.prevHash = h.prevHash;
        running = h.prevHash;
        expectedSeq = h.fromSeq;
        continue;
      }
      if (obj && 'seal' in obj) {
        const cp = parseCheckpoint(obj.seal);
        if (!cp) return fail(`line ${lineNo}: the seal is not a checkpoint`);
        seal = { cp, entries: obj.entries };
        continue;
      }
      const row = asRow(parsed);
      if (!row) return fail(`line ${lineNo} is not an audit entry`);
      if (row.seq !== expectedSeq) return fail(`line ${lineNo}: expected seq ${expectedSeq}, found ${row.seq}`);
      if (row.prev_hash !== running) return fail(`entry ${row.seq} does not link to the entry before it`);
      if (computeEntryHash(row.prev_hash, row) !== row.hash) return fail(`entry ${row.seq} does not match its hash`);
      running = row.hash;
      expectedSeq += 1;
      result.entries += 1;
      result.throughSeq = row.seq;
      result.lastHash = row.hash;
    }
  } finally {
    lines.close();
  }
  if (lineNo === 0) return fail('the file is empty');
  if (!seal) return fail('the archive has no seal: it is incomplete or was cut short');
  if (seal.entries !== result.entries) return fail(`the seal counts ${String(seal.entries)} entries, the file holds ${result.entries}`);
  if (result.entries === 0 || seal.cp.seq !== result.throughSeq || seal.cp.hash !== result.lastHash) return fail('the seal does not match the last entry');
  if (seal.cp.keyId !== key.keyId) return fail(`the seal was signed by key ${seal.cp.keyId}, not ${key.keyId}`);
  if (!checkpointSignatureValid(key.publicKey, seal.cp)) return fail('the seal signature does not verify');
  return { ...result, ok: true };
}

export interface ArchiveSetVerifyResult {
  ok: boolean;
  files: ArchiveVerifyResult[];
  /** Where the archives end: the anchor the live chain must continue from. */
  throughSeq: number | null;
  lastHash: string | null;
  problem?: string;
}

/** Verifies every archive in `dir`, in order, and that each continues the one before. */
export async function verifyArchiveDir(dir: string, key: Pick<CheckpointKey, 'publicKey' | 'keyId'>): Promise<ArchiveSetVerifyResult> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => FILE_NAME.test(n)).sort();
  } catch {
    names = [];
  }
  const files: ArchiveVerifyResult[] = [];
  let prev: ArchiveVerifyResult | undefined;
  for (const name of names) {
    const r = await verifyArchiveFile(join(dir, name), key);
    files.push(r);
    if (!r.ok) return { ok: false, files, throughSeq: prev?.throughSeq ?? null, lastHash: prev?.lastHash ?? null, problem: `${name}: ${r.problem}` };
    if (prev && (r.fromSeq !== prev.throughSeq! + 1 || r.prevHash !== prev.lastHash)) {
      return { ok: false, files, throughSeq: prev.throughSeq, lastHash: prev.lastHash, problem: `${name} does not continue ${archiveFileName(prev.fromSeq!, prev.throughSeq!)}` };
    }
    prev = r;
  }
  return { ok: true, files, throughSeq: prev?.throughSeq ?? null, lastHash: prev?.lastHash ?? null };
}
