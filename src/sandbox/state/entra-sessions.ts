import { randomBytes } from 'node:crypto';
import { TtlMap } from './ttl-map.ts';

/**
 * Short-lived sign-in state of the sandbox's Entra: authorize requests waiting on the sign-in
 * page, authorization codes, refresh tokens and browser SSO sessions. All in memory.
 */

export interface AuthorizeRequest {
  tenantId: string;
  clientId: string;
  redirectUri: string;
  responseMode: 'query' | 'form_post';
  scope: string;
  state: string | undefined;
  nonce: string | undefined;
  codeChallenge: string;
  loginHint: string | undefined;
  prompt: string | undefined;
  maxAge: number | undefined;
}

export interface AuthorizationCodeRecord {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  nonce: string | undefined;
  userOid: string;
  authTime: number;
  sessionId: string;
  redeemed: boolean;
}

export interface RefreshTokenRecord {
  clientId: string;
  userOid: string;
  authTime: number;
  sessionId: string;
}

export interface SsoSession {
  userOid: string;
  /** the `sid` claim and `session_state` of this browser session */
  sid: string;
  /** unix seconds of the interactive sign-in */
  authTime: number;
}

export const AUTHORIZATION_CODE_TTL_MS = 5 * 60 * 1000;
export const PENDING_SIGN_IN_TTL_MS = 15 * 60 * 1000;
export const REFRESH_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
export const SSO_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

export class EntraSessions {
  readonly pending = new TtlMap<AuthorizeRequest>(10_000);
  readonly codes = new TtlMap<AuthorizationCodeRecord>(10_000);
  readonly refreshTokens = new TtlMap<RefreshTokenRecord>(50_000);
  readonly sso = new TtlMap<SsoSession>(10_000);
}
