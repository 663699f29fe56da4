/**
 * When did the tenant authenticate the user in a completed sign-in, as far as Elevate can prove?
 * (pure)
 *
 * `auth_time` is an OPTIONAL claim in Entra ID: an app registration gets it only when it lists it
 * under optionalClaims.idToken, and a new registration does not.
 * https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
 * That is also why a fresh sign-in does not send `max_age`: OpenID Connect (and openid-client)
 * then require `auth_time` in the ID token, so on a tenant without the claim every elevation
 * would fail. Elevate sends `prompt=login` instead and proves freshness either way:
 *
 * - With `auth_time`: the authentication happened then; it must not be before the flow began.
 * - Without it, the security argument:
 *   1. `prompt=login` obliges Entra to authenticate the user interactively for this request,
 *      whatever SSO session the browser has (OpenID Connect Core 3.1.2.1: if it cannot, it must
 *      return an error). Any ID token answering the request reflects an authentication that took
 *      place after the request was sent, so after the flow began (`startedAt`).
 *   2. The ID token answers THIS request and no other: its `nonce` is random per request, kept
 *      server-side under the `state` and checked by openid-client; the code is single-use and
 *      bound to this session's PKCE verifier. A token from an older sign-in (a live SSO session,
 *      a replayed or swapped callback) carries another nonce and is refused before we get here.
 *   3. Its `iat` lies within the flow (not before `startedAt` less Entra's backdating, not in
 *      the future, each with a clock allowance; see ENTRA_IAT_BACKDATE_SECONDS): it was minted
 *      during this flow. The nonce (2) is what ties it to this flow; `iat` only rules out a
 *      token minted long before.
 *   So the authentication lies between `startedAt` and `iat`, and its age is at most
 *   now - startedAt: Elevate counts it as having happened at `startedAt`, the conservative end.
 *   What this leaves open: the authorization request travels through the browser, so whoever
 *   controls the approver's browser (and so already holds their live Entra session) can strip
 *   `prompt=login` and be answered silently from that session. Only `auth_time` shows that (it
 *   then predates the flow, and the sign-in is not fresh). Hence the README asks tenants to add
 *   the optional claim, `elevate doctor` reports whether sign-ins carry it, and the approval's
 *   audit entry records which evidence proved freshness. Without the claim, freshness still
 *   means: a sign-in completed through Entra for this one request, within the window, after
 *   Elevate asked for credentials.
 * - Without `prompt=login` and without `auth_time`, nothing proves a fresh authentication.
 */

/** Tolerated difference between our clock and the tenant's. */
export const CLOCK_SKEW_SECONDS = 60;

/**
 * How far Entra ID backdates `iat` (and `nbf`) from the moment it mints a token: five minutes, a
 * buffer for relying parties whose clocks run behind. Microsoft's claims reference does not give
 * the figure; every Entra token shows it, and Microsoft's identity team describes it: "Azure AD
 * normally includes a 5-minute buffer in both the iat and nbf claims (in other words, they're both
 * 5 minutes in the past)" (https://github.com/psignoret/aad-sso-wordpress/issues/34). So a token
 * minted during a flow that began at `startedAt` has `iat` from `startedAt - 300` on: compared
 * against `startedAt` alone, every fresh sign-in on a real tenant would look older than its flow.
 * The sandbox's issuer backdates the same way (src/sandbox/entra/token-issuer.ts).
 */
export const ENTRA_IAT_BACKDATE_SECONDS = 300;

/** Whether a token's `iat` says Entra minted it during a flow that began at `startedAt` (and not in the future). */
export function mintedSince(iat: number, startedAt: number, nowSeconds: number): boolean {
  return iat >= startedAt - ENTRA_IAT_BACKDATE_SECONDS - CLOCK_SKEW_SECONDS && iat <= nowSeconds + CLOCK_SKEW_SECONDS;
}

export type AuthenticationSource = 'auth_time' | 'prompt_login' | 'none';

export interface AuthenticationEvidence {
  /** Epoch seconds: when the authentication happened, or the earliest it can have (see above). */
  authenticatedAt: number | null;
  /** The tenant authenticated the user during this flow. */
  duringFlow: boolean;
  source: AuthenticationSource;
}

export interface AuthenticationFacts {
  /** `auth_time` of the ID token, when present. */
  authTime: number | null;
  /** `iat` of the ID token. */
  issuedAt: unknown;
  /** Epoch seconds when this flow was started (the authorization request was built). */
  startedAt: number;
  /** `prompt=login` was sent with this flow. */
  promptedLogin: boolean;
  nowSeconds: number;
}

export function authenticationEvidence(f: AuthenticationFacts): AuthenticationEvidence {
  if (f.authTime !== null) {
    return { authenticatedAt: f.authTime, duringFlow: f.authTime >= f.startedAt - CLOCK_SKEW_SECONDS, source: 'auth_time' };
  }
  const iat = typeof f.issuedAt === 'number' && Number.isInteger(f.issuedAt) ? f.issuedAt : undefined;
  if (f.promptedLogin && iat !== undefined && mintedSince(iat, f.startedAt, f.nowSeconds)) {
    return { authenticatedAt: f.startedAt, duringFlow: true, source: 'prompt_login' };
  }
  return { authenticatedAt: null, duringFlow: false, source: 'none' };
}
