/**
 * Signed checkpoints as pure functions: what is signed, how, and how a signature is checked.
 *
 *   signature = Ed25519(key, UTF-8("elevate-audit-checkpoint/v2\n" + JCS({seq, hash, ts, keyId, reason})))
 *
 * base64-encoded. The reason is signed because it carries weight: only a checkpoint signed as
 * `archive` (written by retention, after the archive file is complete) may seal the chain's
 * anchor. When the reason was not signed, anyone with write access to the database could delete
 * the entries up to any periodic checkpoint, move the anchor onto it, and verification accepted
 * the shortened log.
 *
 * Checkpoints from before the reason was signed ("elevate-audit-checkpoint/v1\n" + JCS({seq,
 * hash, ts, keyId}), no reason) still verify for what they sign; their reason counts as unproven.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { isHashHex } from './audit-hash.ts';

export type CheckpointReason = 'periodic' | 'on-demand' | 'archive';
export const CHECKPOINT_REASONS: readonly CheckpointReason[] = ['periodic', 'on-demand', 'archive'];

export interface SignedCheckpoint {
  seq: number;
  hash: string;
  ts: string;
  keyId: string;
  signature: string;
  reason: CheckpointReason;
}

const DOMAIN = 'elevate-audit-checkpoint/v2\n';
const LEGACY_DOMAIN = 'elevate-audit-checkpoint/v1\n';

export function checkpointMessage(cp: Pick<SignedCheckpoint, 'seq' | 'hash' | 'ts' | 'keyId' | 'reason'>): Buffer {
  return Buffer.from(DOMAIN + canonicalize({ seq: cp.seq, hash: cp.hash, ts: cp.ts, keyId: cp.keyId, reason: cp.reason })!, 'utf8');
}

/** What a v1 checkpoint signed: everything but the reason. */
function legacyCheckpointMessage(cp: Pick<SignedCheckpoint, 'seq' | 'hash' | 'ts' | 'keyId'>): Buffer {
  return Buffer.from(LEGACY_DOMAIN + canonicalize({ seq: cp.seq, hash: cp.hash, ts: cp.ts, keyId: cp.keyId })!, 'utf8');
}

/**
 * What a checkpoint's signature proves: `signed`, everything it states including its reason;
 * `reason-unsigned`, a v1 checkpoint, everything but its reason; `invalid`, nothing.
 */
export type CheckpointSignature = 'signed' | 'reason-unsigned' | 'invalid';

export function signCheckpoint(
  privateKey: KeyObject,
  keyId: string,
  at: { seq: number; hash: string },
  ts: Date,
  reason: CheckpointReason,
): SignedCheckpoint {
  if (!Number.isSafeInteger(at.seq) || at.seq < 0 || !isHashHex(at.hash)) throw new TypeError('checkpoint needs a whole seq and a 64-hex hash');
  const body = { seq: at.seq, hash: at.hash, ts: ts.toISOString(), keyId };
  // Field order as before: stores name and compare checkpoints by their JSON.
  return { ...body, signature: sign(null, checkpointMessage({ ...body, reason }), privateKey).toString('base64'), reason };
}

export function checkpointSignature(publicKey: KeyObject, cp: SignedCheckpoint): CheckpointSignature {
  try {
    const signature = Buffer.from(cp.signature, 'base64');
    if (verify(null, checkpointMessage(cp), publicKey, signature)) return 'signed';
    return verify(null, legacyCheckpointMessage(cp), publicKey, signature) ? 'reason-unsigned' : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** Whether the checkpoint's seq, hash, time and key are signed (its reason may not be: see checkpointSignature). */
export function checkpointSignatureValid(publicKey: KeyObject, cp: SignedCheckpoint): boolean {
  return checkpointSignature(publicKey, cp) !== 'invalid';
}

/** Whether `cp` may seal the chain's anchor: signed, reason included, as retention's archive seal. */
export function signedAsArchiveSeal(publicKey: KeyObject, cp: SignedCheckpoint): boolean {
  return cp.reason === 'archive' && checkpointSignature(publicKey, cp) === 'signed';
}

/** A checkpoint read from an untrusted place (a file line, a table row), or undefined if malformed. */
export function parseCheckpoint(value: unknown): SignedCheckpoint | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 0) return undefined;
  if (!isHashHex(v.hash) || typeof v.ts !== 'string' || typeof v.keyId !== 'string' || typeof v.signature !== 'string') return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v.signature) || v.keyId.length > 64 || v.ts.length > 40) return undefined;
  const reason = CHECKPOINT_REASONS.includes(v.reason as CheckpointReason) ? (v.reason as CheckpointReason) : 'periodic';
  return { seq: v.seq, hash: v.hash, ts: v.ts, keyId: v.keyId, signature: v.signature, reason };
}
