/**
 * Remembers successful token validations for a short while, so an agent that calls many times
 * with the same access token pays for the signature check once. Keyed by the SHA-256 of the
 * token (the token itself is never kept); an entry lives until the token's own expiry or
 * `maxAgeMs`, whichever is sooner, so a revoked signing key stops counting within that bound.
 * Failures are never cached.
 */
import { hash } from 'node:crypto';
import type { ApiTokenClaims, ApiTokenValidator } from '../../azure/api-token-validator.ts';

export interface TokenCacheOptions {
  maxEntries?: number;
  maxAgeMs?: number;
  now?: () => number;
}

export function cachedTokenValidator(validate: ApiTokenValidator, options: TokenCacheOptions = {}): ApiTokenValidator {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  const now = options.now ?? (() => Date.now());
  const entries = new Map<string, { claims: ApiTokenClaims; until: number }>();

  return async (token) => {
    // One-shot hashing: no Hash object per call on the agents' hot path (issue 18).
    const key = typeof token === 'string' && token.length <= 16_384 ? hash('sha256', token, 'base64url') : undefined;
    const hit = key ? entries.get(key) : undefined;
    if (hit && now() < hit.until) return hit.claims;
    if (hit) entries.delete(key!);
    const claims = await validate(token);
    if (key) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, { claims, until: Math.min(claims.expiresAt.getTime(), now() + maxAgeMs) });
    }
    return claims;
  };
}
