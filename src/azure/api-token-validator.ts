import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { tokenGroups, type TokenGroups } from '../access/token-groups.ts';

/** Claims Elevate relies on from an access token for its own API, typed and normalised. */
export interface ApiTokenClaims {
  oid: string;
  tid: string;
  sub: string;
  /** The calling client: `azp` (v2) or `appid` (v1). */
  clientAppId: string;
  /** `user` for delegated tokens (they carry `scp`), `app` for app-only tokens. */
  principalType: 'user' | 'app';
  roles: string[];
  scopes: string[];
  idtyp: string | undefined;
  upn: string | undefined;
  preferredUsername: string | undefined;
  name: string | undefined;
  /** Token id, for audit correlation (never the token itself). */
  uti: string | undefined;
  issuer: string;
  audience: string;
  expiresAt: Date;
  /** Present when the token came from an interactive sign-in; unix seconds. */
  authTime: number | undefined;
  /** When Entra minted the token (`iat`), unix seconds. */
  issuedAt?: number | undefined;
  /** Home identity provider when it is not the issuer (guests: their tenant's STS URI; personal accounts: live.com). */
  idp?: string | undefined;
  /** Optional claim: 0 member, 1 guest. */
  acct?: number | undefined;
  /**
   * Group object ids, when the registration emits the `groups` claim (groupMembershipClaims);
   * for role mappings by group (policies/service-roles.yaml), as at browser sign-in.
   */
  groups?: string[] | undefined;
  /**
   * What the token says about groups: the list, the overage indicator Entra sends instead of it
   * beyond 200 groups, or nothing (access/token-groups.ts). Always set by the validator.
   */
  groupClaim?: TokenGroups | undefined;
}

export interface ApiTokenValidatorOptions {
  issuers: string[];
  tenantId: string;
  /** Accepted `aud` values: Elevate's client id (v2) and App ID URI (v1). */
  audiences: string[];
  jwksUri: string;
  /** Tolerated clock difference with the issuer. */
  clockSkewSeconds?: number;
  /** Minimum wait before refetching the JWKS for an unknown `kid` (jose's cooldown). */
  jwksCooldownMs?: number;
  /** A key source other than the remote JWKS, e.g. a local key set. */
  keySet?: JWTVerifyGetKey;
}

export type TokenRejection =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'missing_kid'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'wrong_tenant'
  | 'missing_claim'
  | 'keys_unavailable';

/** Why a token was refused; the message never contains token text. */
export class TokenValidationError extends Error {
  override name = 'TokenValidationError';
  constructor(readonly reason: TokenRejection, message: string) {
    super(message);
  }
}

export type ApiTokenValidator = (token: string) => Promise<ApiTokenClaims>;

/** Entra signs access tokens with RS256; anything else (none, HS256 with a public key...) is refused. */
const ALLOWED_ALGORITHMS = ['RS256'];
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Validates bearer tokens for Elevate's API against the tenant's signing keys. The remote key set
 * is cached and refetched when a token names an unknown `kid`, which is how Entra key rollover
 * shows up.
 */
export function createApiTokenValidator(options: ApiTokenValidatorOptions): ApiTokenValidator {
  if (options.issuers.length === 0 || options.audiences.length === 0) throw new Error('token validator needs at least one issuer and one audience');
  const keys =
    options.keySet ??
    createRemoteJWKSet(new URL(options.jwksUri), {
      cooldownDuration: options.jwksCooldownMs ?? 30_000,
      cacheMaxAge: 24 * 60 * 60 * 1000,
      timeoutDuration: 5_000,
    });
  const clockTolerance = options.clockSkewSeconds ?? 120;

  return async (token: string) => {
    if (typeof token !== 'string' || token.length > 16_384 || !JWT_SHAPE.test(token)) throw new TokenValidationError('malformed', 'not a signed JWT');
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenValidationError('malformed', 'token header is not valid JSON');
    }
    if (typeof header.alg !== 'string' || !ALLOWED_ALGORITHMS.includes(header.alg)) {
      throw new TokenValidationError('algorithm_not_allowed', `signing algorithm ${JSON.stringify(String(header.alg)).slice(0, 20)} is not accepted`);
    }
    if (typeof header.kid !== 'string' || header.kid === '') throw new TokenValidationError('missing_kid', 'token header has no key id (kid)');

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: options.issuers,
        audience: options.audiences,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance,
        requiredClaims: ['exp', 'iss', 'aud', 'tid', 'oid', 'sub'],
      }));
    } catch (err) {
      throw mapJoseError(err);
    }
    return toClaims(payload, options.tenantId);
  };
}

function mapJoseError(err: unknown): TokenValidationError {
  if (err instanceof joseErrors.JWTExpired) return new TokenValidationError('expired', 'token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'iss':
        return new TokenValidationError('wrong_issuer', 'token was not issued by the expected tenant authority');
      case 'aud':
        return new TokenValidationError('wrong_audience', 'token is not for this API');
      case 'nbf':
        return new TokenValidationError('not_yet_valid', 'token is not valid yet');
      default:
        return new TokenValidationError('missing_claim', `token claim ${err.claim} is missing or invalid`);
    }
  }
  if (err instanceof joseErrors.JWKSNoMatchingKey) return new TokenValidationError('unknown_key', 'token is signed with a key the tenant does not publish');
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new TokenValidationError('bad_signature', 'token signature is invalid');
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new TokenValidationError('algorithm_not_allowed', 'signing algorithm is not accepted');
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) return new TokenValidationError('keys_unavailable', 'signing keys could not be loaded');
  if (err instanceof joseErrors.JWTInvalid || err instanceof joseErrors.JWSInvalid) return new TokenValidationError('malformed', 'token is malformed');
  if (err instanceof joseErrors.JOSEError) return new TokenValidationError('malformed', `token rejected (${err.code})`);
  // fetch failures for the JWKS arrive as plain errors
  return new TokenValidationError('keys_unavailable', 'signing keys could not be loaded');
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function toClaims(p: JWTPayload, tenantId: string): ApiTokenClaims {
  const tid = str(p.tid);
  if (!tid || tid.toLowerCase() !== tenantId.toLowerCase()) throw new TokenValidationError('wrong_tenant', 'token is from another tenant');
  const oid = str(p.oid);
  if (!oid || !GUID.test(oid)) throw new TokenValidationError('missing_claim', 'token claim oid is missing or not a GUID');
  const clientAppId = str(p.azp) ?? str(p.appid);
  if (!clientAppId) throw new TokenValidationError('missing_claim', 'token names no client application (azp/appid)');
  const scp = str(p.scp);
  const aud = Array.isArray(p.aud) ? p.aud[0] : p.aud;
  return {
    oid,
    tid,
    sub: str(p.sub)!,
    clientAppId,
    principalType: scp ? 'user' : 'app',
    roles: strings(p.roles),
    scopes: scp ? scp.split(' ').filter(Boolean) : [],
    idtyp: str(p.idtyp),
    upn: str(p.upn),
    preferredUsername: str(p.preferred_username),
    name: str(p.name),
    uti: str(p.uti),
    issuer: str(p.iss)!,
    audience: String(aud),
    expiresAt: new Date((p.exp ?? 0) * 1000),
    authTime: typeof p.auth_time === 'number' ? p.auth_time : undefined,
    issuedAt: typeof p.iat === 'number' ? p.iat : undefined,
    idp: str(p.idp),
    acct: typeof p.acct === 'number' ? p.acct : undefined,
    groups: Array.isArray(p.groups) ? strings(p.groups) : undefined,
    groupClaim: tokenGroups(p),
  };
}
