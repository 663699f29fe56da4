import { compactVerify, decodeProtectedHeader, type JWTPayload } from 'jose';
import type { SigningKeyStore } from '../keys/signing-keys.ts';

/**
 * Verifies tokens the sandbox itself issued (user assertions for on-behalf-of, bearer tokens at
 * ARM, federated assertions from its managed identities): RS256 only, a `kid` that is currently
 * published, a valid signature, and the time window. Reasons are distinct so each caller can
 * answer with the error its real counterpart gives.
 */

export type VerifyFailure = 'malformed' | 'unsupported_alg' | 'unknown_key' | 'bad_signature' | 'expired' | 'not_yet_valid';

export type VerifyResult =
  | { ok: true; claims: JWTPayload; kid: string }
  | { ok: false; reason: VerifyFailure; kid?: string; claims?: JWTPayload };

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 16_384;

/** Reads the payload without verifying (only to choose how to verify, or to report on it). */
export function peekClaims(token: string): JWTPayload | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as unknown;
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as JWTPayload) : undefined;
  } catch {
    return undefined;
  }
}

export async function verifySandboxToken(token: string, keys: SigningKeyStore, nowSeconds = Math.floor(Date.now() / 1000)): Promise<VerifyResult> {
  const claims = peekClaims(token);
  if (!claims) return { ok: false, reason: 'malformed' };
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (header.alg !== 'RS256') return { ok: false, reason: 'unsupported_alg', claims };
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const key = kid ? keys.verificationKey(kid) : undefined;
  if (!key) return kid ? { ok: false, reason: 'unknown_key', kid, claims } : { ok: false, reason: 'unknown_key', claims };
  try {
    await compactVerify(token, key, { algorithms: ['RS256'] });
  } catch {
    return { ok: false, reason: 'bad_signature', kid, claims };
  }
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return { ok: false, reason: 'expired', kid, claims };
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds) return { ok: false, reason: 'not_yet_valid', kid, claims };
  return { ok: true, claims, kid: kid! };
}
