import { inspect } from 'node:util';
import { TokenValidationError, type ApiTokenClaims, type ApiTokenValidator } from '../azure/api-token-validator.ts';

/**
 * The delegated access token for Elevate's API that a sign-in callback received, validated, for
 * the one on-behalf-of exchange that follows. It lives only as long as the callback handler
 * holds it: nothing stores it, and it refuses to be serialised or printed, so it cannot reach a
 * session row, a log line or a template by accident.
 */
export class DelegatedApiToken {
  readonly #token: string;
  /** Validated claims a caller may want (whose token, which scopes, until when). */
  readonly oid: string;
  readonly tid: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;

  constructor(token: string, claims: { oid: string; tid: string; scopes: readonly string[]; expiresAt: number }) {
    this.#token = token;
    this.oid = claims.oid;
    this.tid = claims.tid;
    this.scopes = claims.scopes;
    this.expiresAt = claims.expiresAt;
  }

  /** The raw token, to pass as the OBO assertion. Do not keep it. */
  reveal(): string {
    return this.#token;
  }

  toJSON(): string {
    return '[delegated-api-token]';
  }

  toString(): string {
    return '[delegated-api-token]';
  }

  [inspect.custom](): string {
    return '[delegated-api-token]';
  }
}

export class ApiTokenError extends Error {
  override name = 'ApiTokenError';
}

/**
 * Validates the access token the callback received (signature, issuer, audience, lifetime and
 * tenant by the API's own validator), then that it is for the person the ID token names and
 * carries the delegated scope. Throws ApiTokenError; the message never contains the token.
 */
export async function delegatedApiTokenFrom(
  token: unknown,
  validate: ApiTokenValidator,
  expect: { oid: string; requiredScope: string },
): Promise<DelegatedApiToken> {
  if (typeof token !== 'string' || token === '') throw new ApiTokenError('no access token for Elevate\'s API was returned');
  let claims: ApiTokenClaims;
  try {
    claims = await validate(token);
  } catch (err) {
    throw new ApiTokenError(`access token for Elevate's API rejected: ${err instanceof TokenValidationError ? err.reason : 'invalid'}`);
  }
  if (claims.principalType !== 'user') throw new ApiTokenError('access token for Elevate\'s API is not delegated');
  if (claims.oid.toLowerCase() !== expect.oid.toLowerCase()) throw new ApiTokenError('access token for Elevate\'s API is for another user than the ID token');
  if (!claims.scopes.includes(expect.requiredScope)) throw new ApiTokenError(`access token for Elevate's API lacks the ${expect.requiredScope} scope`);
  return new DelegatedApiToken(token, {
    oid: claims.oid,
    tid: claims.tid,
    scopes: claims.scopes,
    expiresAt: Math.floor(claims.expiresAt.getTime() / 1000),
  });
}
