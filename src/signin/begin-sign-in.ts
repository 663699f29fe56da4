import type { Request, Response } from 'express';
import * as client from 'openid-client';
import '../sessions/session-data.ts';
import type { PendingSignIn, SignInBinding } from '../sessions/session-data.ts';
import type { OidcProvider } from './oidc-provider.ts';
import { SIGN_IN_SCOPES } from './oidc-settings.ts';
import { safeReturnPath } from './return-path.ts';
import { browserEndpointUrl } from './browser-endpoint-url.ts';

export interface BeginSignInOptions {
  /**
   * `login` makes the user enter credentials again even with a live tenant session;
   * `select_account` lets them pick another account instead of being signed in silently.
   */
  prompt?: 'login' | 'select_account';
  /**
   * Seconds: the tenant must have authenticated the user at most this long ago (`max_age`).
   * openid-client then requires `auth_time` in the ID token, an optional claim Entra sends only
   * when the app registration asks for it; a fresh sign-in uses `prompt: 'login'` instead (see
   * authentication-evidence.ts).
   */
  maxAge?: number;
  /** An OpenID `claims` request (JSON), e.g. to ask for an authentication context. */
  claims?: string;
  /** Ties the sign-in to one request; the callback hands it to the matching continuation. */
  boundTo?: SignInBinding;
  /** Also request the delegated scope for Elevate's API, for an on-behalf-of exchange. */
  apiScope?: boolean;
  /** Local path to go to after an unbound sign-in. */
  returnTo?: string;
  /** Pre-fills the account on the tenant's sign-in page (the approver's upn, say). */
  loginHint?: string;
}

/** A flow not completed within this many seconds is forgotten. */
export const PENDING_SIGN_IN_SECONDS = 600;
/** Flows a session may have in flight (several tabs); the oldest goes first. */
const MAX_PENDING = 5;

/**
 * Starts an authorization code flow with PKCE, `state` and `nonce`. The verifier and nonce stay
 * in the server-side session under the state; the browser only ever sees the challenge.
 */
export async function beginSignIn(
  provider: OidcProvider,
  nowSeconds: number,
  req: Request,
  res: Response,
  options: BeginSignInOptions = {},
): Promise<void> {
  if (!req.session) throw new Error('beginSignIn needs the session middleware');
  if (options.maxAge !== undefined && (!Number.isInteger(options.maxAge) || options.maxAge < 0)) {
    throw new Error(`beginSignIn: maxAge must be a whole number of seconds, got ${options.maxAge}`);
  }
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const scopes: string[] = [...SIGN_IN_SCOPES];
  if (options.apiScope) scopes.push(provider.settings.apiScope);

  const params: Record<string, string> = {
    redirect_uri: provider.settings.redirectUri,
    response_type: 'code',
    // Query mode: the callback is a top-level GET, so the SameSite=Lax session cookie comes along.
    response_mode: 'query',
    scope: scopes.join(' '),
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  if (options.prompt) params.prompt = options.prompt;
  if (options.maxAge !== undefined) params.max_age = String(options.maxAge);
  if (options.claims) params.claims = options.claims;
  if (options.loginHint) params.login_hint = options.loginHint;

  const pending: PendingSignIn = {
    codeVerifier,
    nonce,
    startedAt: nowSeconds,
    promptedLogin: options.prompt === 'login',
    maxAge: options.maxAge,
    apiScopeRequested: options.apiScope === true,
    boundTo: options.boundTo,
    returnTo: safeReturnPath(options.returnTo),
  };
  const inFlight = Object.entries(req.session.pendingSignIns ?? {})
    .filter(([, p]) => nowSeconds - p.startedAt < PENDING_SIGN_IN_SECONDS)
    .sort(([, a], [, b]) => a.startedAt - b.startedAt)
    .slice(-(MAX_PENDING - 1));
  req.session.pendingSignIns = { ...Object.fromEntries(inFlight), [state]: pending };

  const endpoint = provider.configuration.serverMetadata().authorization_endpoint;
  if (!endpoint) throw new Error('the tenant has no authorization_endpoint');
  const url = browserEndpointUrl(endpoint, { client_id: provider.settings.clientId, ...params });
  // The row must be written before the browser can come back with the state.
  await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
  res.redirect(303, url.href);
}
