/**
 * When did the tenant authenticate an approver who approves an elevation from the CLI, as far as
 * Elevate can prove? (pure) The browser's rule is in authentication-evidence.ts; this is the same
 * rule for a delegated access token obtained with the device code flow
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code).
 *
 * The flow (src/approvals/api-elevation-approval.ts): the administrator's CLI asks Elevate to
 * approve request X; Elevate records an approval attempt for X and this approver (its start,
 * `startedAt`, audited as approval.sign-in.started), and answers "fresh sign-in required". The CLI
 * then runs a NEW device code flow (MSAL's in-memory cache only, never a silent or refresh-token
 * call for this), the person enters the code and signs in, and the CLI posts the access token it
 * got, with the operation hash it showed, to complete the approval of X. The attempt is consumed
 * (single use, whatever the outcome) before anything is judged.
 *
 * - With `auth_time` (an OPTIONAL claim: Elevate's registration must list it under
 *   optionalClaims.accessToken; https://learn.microsoft.com/entra/identity-platform/optional-claims-reference):
 *   the authentication happened then; it must not be before the attempt began.
 * - Without it, the argument:
 *   1. The token validates as Elevate's (signature, issuer, tenant, audience, lifetime), is
 *      delegated (`scp`), and is for the approver who opened the attempt (`oid`).
 *   2. Its `iat` lies inside the attempt (not before `startedAt` less Entra's five-minute
 *      backdating, not in the future, each with a clock allowance; ENTRA_IAT_BACKDATE_SECONDS):
 *      Entra minted it around or after the time Elevate recorded the attempt, so it is not a
 *      token the CLI (or anyone) held from long before. The allowance means a token minted a
 *      minute before the attempt also passes; this rule never claimed more than the weakness
 *      below already concedes.
 *   3. The attempt is single use and bound to request X and its operation hash: the token
 *      approves this request once and nothing else.
 *   So Elevate counts the authentication as having happened at `startedAt`, the conservative end,
 *   as the browser rule does.
 *   What this leaves open, and why it is weaker than the browser's prompt=login + nonce:
 *   - The device code flow has no `prompt=login` and no `nonce`: nothing in the token ties it to
 *     an interactive sign-in for THIS attempt. Whoever holds a live refresh token or SSO session
 *     for the approver (a compromised workstation, a tool that cached one) can mint a token with a
 *     fresh `iat` without entering credentials. Elevate's CLI never keeps a token or refresh token
 *     beyond the process, but Elevate cannot prove what the caller's client did.
 *   - On the device login page Entra may answer from the browser's SSO session (account picker,
 *     no password).
 *   Only `auth_time` shows either case (it then predates the attempt, and the approval is refused
 *   as stale). Hence the README asks tenants that approve from the CLI to add auth_time to the
 *   access token's optional claims (and, for stronger assurance, a Conditional Access sign-in
 *   frequency of "every time" for Elevate's API), and the approval's audit entry records which
 *   evidence proved freshness (`freshness`: auth_time or token_iat).
 */
import { CLOCK_SKEW_SECONDS, mintedSince } from './authentication-evidence.ts';

export type FreshTokenSource = 'auth_time' | 'token_iat' | 'none';

export interface FreshTokenFacts {
  /** `auth_time` of the access token, when the registration asks for it. */
  authTime: number | undefined;
  /** `iat` of the access token. */
  issuedAt: unknown;
  /** Epoch seconds when Elevate recorded the approval attempt. */
  startedAt: number;
  nowSeconds: number;
}

export interface FreshTokenEvidence {
  authenticatedAt: number | null;
  duringAttempt: boolean;
  source: FreshTokenSource;
}

export function freshTokenEvidence(f: FreshTokenFacts): FreshTokenEvidence {
  const iat = typeof f.issuedAt === 'number' && Number.isInteger(f.issuedAt) ? f.issuedAt : undefined;
  const iatInside = iat !== undefined && mintedSince(iat, f.startedAt, f.nowSeconds);
  if (f.authTime !== undefined) {
    // auth_time decides; a token minted before the attempt is refused whatever auth_time says
    return { authenticatedAt: f.authTime, duringAttempt: iatInside && f.authTime >= f.startedAt - CLOCK_SKEW_SECONDS, source: 'auth_time' };
  }
  if (iatInside) return { authenticatedAt: f.startedAt, duringAttempt: true, source: 'token_iat' };
  return { authenticatedAt: null, duringAttempt: false, source: 'none' };
}
