import { randomBytes } from 'node:crypto';
import type { ClaimsRequest } from '../entra/claims-request.ts';
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
  /** the OpenID `claims` request parameter, as far as the sandbox acts on it (claims-request.ts) */
  claims: ClaimsRequest;
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
  /** what the interactive sign-in established (MFA, authentication contexts) */
  authentication: SignInAuthentication;
}

/**
 * What an interactive sign-in established, as Entra states it in tokens of its session: `amr`
 * (authentication methods, e.g. ["pwd"] or ["pwd","mfa"]) and `acrs` (the Conditional Access
 * authentication contexts satisfied).
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */
export interface SignInAuthentication {
  amr: string[];
  acrs: string[];
}

/** A sign-in that asked for nothing more than the account's password (the sandbox has no passwords, but Entra's `amr` would say this). */
export const PASSWORD_ONLY: Readonly<SignInAuthentication> = Object.freeze({ amr: ['pwd'], acrs: [] });

/**
 * A device authorization grant in flight (device-code-endpoint.ts). Entra's device codes live 15
 * minutes and are polled every 5 seconds:
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
 */
export interface DeviceCodeRecord {
  tenantId: string;
  clientId: string;
  scope: string;
  /** the claims request sent with the device authorization request (a claims challenge handed back) */
  claims: ClaimsRequest;
  userCode: string;
  intervalSeconds: number;
  status: 'pending' | 'approved' | 'declined';
  /** set when a user signed in on the device login page */
  userOid?: string;
  authTime?: number;
  sessionId?: string;
  /** epoch ms of the last token request for this code (slow_down) */
  lastPollAt?: number;
  redeemed: boolean;
}

export const DEVICE_CODE_LIFETIME_SECONDS = 900;
export const DEVICE_CODE_INTERVAL_SECONDS = 5;

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
  /**
   * By session id (`sid`): what the sign-in established, for the tokens later issued in its
   * session (code redemption, refresh, on-behalf-of); as long as the session's refresh tokens live.
   */
  readonly authentications = new TtlMap<SignInAuthentication>(50_000);
  /** by device_code */
  readonly deviceCodes = new TtlMap<DeviceCodeRecord>(10_000);
  /** user_code -> device_code */
  readonly userCodes = new TtlMap<string>(10_000);
  /** device login page: account picker flow id -> device_code */
  readonly deviceSignIns = new TtlMap<string>(10_000);
}
