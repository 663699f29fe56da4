/**
 * The anchor's seal, as pure functions: retention signs the anchor it sets with the audit
 * checkpoint key, and verification refuses an anchor this key did not sign.
 *
 *   signature = Ed25519(key, UTF-8("elevate-audit-anchor/v1\n" + JCS({throughSeq, lastHash, archiveRef, keyId})))
 *
 * Why the anchor itself and not a checkpoint at its seq: checkpoints are one per seq, so when a
 * periodic one already stands at the last archived entry, retention's archive checkpoint is that
 * periodic one. And any signed checkpoint is something an attacker who can write the database
 * could move the anchor onto, after deleting the entries before it. A signature over the anchor
 * is a statement only retention makes, after its archive file is complete.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';

export interface AnchorSeal {
  keyId: string;
  signature: string;
}

export interface SealedAnchorFields {
  throughSeq: number;
  lastHash: string;
  archiveRef: string | null;
}

const DOMAIN = 'elevate-audit-anchor/v1\n';

function anchorMessage(anchor: SealedAnchorFields, keyId: string): Buffer {
  return Buffer.from(DOMAIN + canonicalize({ throughSeq: anchor.throughSeq, lastHash: anchor.lastHash, archiveRef: anchor.archiveRef, keyId })!, 'utf8');
}

export function signAnchor(privateKey: KeyObject, keyId: string, anchor: SealedAnchorFields): AnchorSeal {
  return { keyId, signature: sign(null, anchorMessage(anchor, keyId), privateKey).toString('base64') };
}

/** Whether `seal` is this key's signature over exactly this anchor. */
export function anchorSealValid(publicKey: KeyObject, anchor: SealedAnchorFields, seal: AnchorSeal): boolean {
  try {
    return verify(null, anchorMessage(anchor, seal.keyId), publicKey, Buffer.from(seal.signature, 'base64'));
  } catch {
    return false;
  }
}

/** The seal column's text as stored, or undefined when it is not one (absent, damaged, planted). */
export function parseAnchorSeal(text: string | null): AnchorSeal | undefined {
  if (text === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { keyId, signature } = value as Record<string, unknown>;
  if (typeof keyId !== 'string' || keyId.length === 0 || keyId.length > 64) return undefined;
  if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return undefined;
  return { keyId, signature };
}

export const anchorSealText = (seal: AnchorSeal): string => JSON.stringify({ keyId: seal.keyId, signature: seal.signature });
