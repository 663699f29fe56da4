/**
 * The bearer access token in an `Authorization` header, validated for Elevate's API: the one
 * parser every bearer-authenticated endpoint uses (the agent API, the administrator API, Azure
 * Monitor's secure webhook), so a header limit or a token shape is decided in one place. Callers
 * map the outcome to their own refusals (and audit them); the token never leaves this function
 * except to the caller that asked for it.
 */
import { TokenValidationError, type ApiTokenClaims, type ApiTokenValidator, type TokenRejection } from './api-token-validator.ts';

/** Entra access tokens are far below this; a larger header is not one. */
const MAX_AUTHORIZATION_HEADER = 16_384;

export type BearerClaims =
  | { ok: true; claims: ApiTokenClaims; token: string }
  /** no Authorization header at all */
  | { ok: false; problem: 'missing' }
  /** a header that is not `Bearer <token>` (or is oversized) */
  | { ok: false; problem: 'not_bearer' }
  /** the tenant's signing keys could not be loaded: try again later (503, not the caller's fault) */
  | { ok: false; problem: 'keys_unavailable' }
  /** the token did not validate; `message` says why without repeating it */
  | { ok: false; problem: 'invalid'; reason: TokenRejection; message: string };

export function bearerTokenOf(header: unknown): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_AUTHORIZATION_HEADER) return undefined;
  return /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header)?.[1];
}

export async function bearerClaims(header: unknown, validateToken: ApiTokenValidator): Promise<BearerClaims> {
  if (header === undefined) return { ok: false, problem: 'missing' };
  const token = bearerTokenOf(header);
  if (!token) return { ok: false, problem: 'not_bearer' };
  try {
    return { ok: true, claims: await validateToken(token), token };
  } catch (err) {
    if (!(err instanceof TokenValidationError)) throw err;
    if (err.reason === 'keys_unavailable') return { ok: false, problem: 'keys_unavailable' };
    return { ok: false, problem: 'invalid', reason: err.reason, message: err.message };
  }
}
