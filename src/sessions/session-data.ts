import type { ServiceRoleId } from '../policies/service-roles-schema.ts';

/**
 * What a browser session holds. Identity claims only: never an access, refresh or ID token.
 * The pending sign-ins carry the PKCE verifier and nonce of flows still in flight; each is
 * removed the moment its callback arrives, whatever the outcome.
 */

/** The signed-in administrator, as the session keeps them. Times are epoch seconds. */
export interface SessionUser {
  oid: string;
  tid: string;
  /** upn, else preferred_username, else email. */
  upn: string;
  name: string;
  /** Elevate's service roles (ids such as `administrator`), from `rolesFromClaims` at sign-in. */
  roles: ServiceRoleId[];
  /** When the identity provider last authenticated the user (`auth_time`); null when the token did not say. */
  authTime: number | null;
  /** When this session was created by a completed sign-in. */
  signedInAt: number;
  /**
   * The tenant the account lives in (`client_info`'s utid at sign-in), so every later decision
   * can check membership again; absent in sessions created before it was recorded.
   */
  homeTenantId?: string;
}

/** Ties a sign-in to one thing the user is about to do (an approval, say). */
export interface SignInBinding {
  /** Names the continuation that handles the callback (see `SignInContinuations`). */
  kind: string;
  requestId: string;
}

/** An authorization request in flight, keyed in the session by its `state`. */
export interface PendingSignIn {
  codeVerifier: string;
  nonce: string;
  /** Epoch seconds when the flow began. */
  startedAt: number;
  /** `prompt=login` was sent: the user had to enter credentials again. */
  promptedLogin: boolean;
  maxAge: number | undefined;
  /** The delegated scope for Elevate's API was requested (for an on-behalf-of exchange). */
  apiScopeRequested: boolean;
  boundTo: SignInBinding | undefined;
  /** Local path to return to after an unbound sign-in. */
  returnTo: string;
}

declare module 'express-session' {
  interface SessionData {
    user?: SessionUser;
    pendingSignIns?: Record<string, PendingSignIn>;
    /** Synchronizer CSRF token for forms posted with this session. */
    csrfToken?: string;
    /**
     * The last refused sign-in, shown at /auth/refused: the callback redirects there, so a reload
     * shows the same explanation instead of replaying a used code. No token, no code.
     */
    signInRefusal?: StoredSignInRefusal;
  }
}

export interface StoredSignInRefusal {
  status: 400 | 403;
  reason: string;
  explanation: string;
  neededRoles: string[];
  /** The account the tenant signed in (its preferred_username), when it said. */
  accountName?: string | undefined;
  /** A protocol failure may be retried; an account refusal needs another account. */
  canRetry: boolean;
  /** Where the refused flow was started from (a bound sign-in's page), a local path. */
  backTo?: string | undefined;
}
