/**
 * Signed checkpoints as pure functions: what is signed, how, and how a signature is checked.
 *
 *   signature = Ed25519(key, UTF-8("elevate-audit-checkpoint/v1\n" + JCS({seq, hash, ts, keyId})))
 *
 * base64-encoded. `reason` is informational and not signed.
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

const DOMAIN = 'elevate-audit-checkpoint/v1\n';

export function checkpointMessage(cp: Pick<SignedCheckpoint, 'seq' | 'hash' | 'ts' | 'keyId'>): Buffer {
  return Buffer.from(DOMAIN + canonicalize({ seq: cp.seq, hash: cp.hash, ts: cp.ts, keyId: cp.keyId })!, 'utf8');
}

export function signCheckpoint(
  privateKey: KeyObject,
  keyId: string,
  at: { seq: number; hash: string },
  ts: Date,
  reason: CheckpointReason,
): SignedCheckpoint {
  if (!Number.isSafeInteger(at.seq) || at.seq < 0 || !isHashHex(at.hash)) throw new TypeError('checkpoint needs a whole seq and a 64-hex hash');
  const body = { seq: at.seq, hash: at.hash, ts: ts.toISOString(), keyId };
  return { ...body, signature: sign(null, checkpointMessage(body), privateKey).toString('base64'), reason };
}

export function checkpointSignatureValid(publicKey: KeyObject, cp: SignedCheckpoint): boolean {
  try {
    return verify(null, checkpointMessage(cp), publicKey, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
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
