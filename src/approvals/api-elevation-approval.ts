/**
 * An elevation approved from the CLI (`elevate requests approve`), through Elevate's API: the
 * same fresh sign-in bound to the request as in the browser, with a device code flow instead of a
 * redirect.
 *
 * 1. POST /api/v1/requests/{id}/approve with the administrator's token: the review is checked and
 *    an attempt for this request and approver is recorded and audited (beginElevationApproval, as
 *    the browser's Approve button does); the answer says a fresh sign-in is required.
 * 2. The CLI runs a new device code flow and posts the access token it got, with the operation
 *    hash it showed the administrator, to POST /api/v1/requests/{id}/approve/elevation. Here:
 *    the attempt is consumed (once, whatever follows); the operation hash must be the request's;
 *    the token must have been minted inside the attempt (and its auth_time, when the registration
 *    sends it, must be too: signin/fresh-token-evidence.ts has the argument and its gaps); then
 *    the browser's path continues unchanged: fresh-sign-in checks (account, tenant, role, same
 *    approver, age), four-eyes review, `approval.obo.started`, ONE on-behalf-of exchange,
 *    `approval.decided`, one execution, and the token discarded (`token.discarded`).
 * 3. When Entra answers that exchange with a Conditional Access claims challenge (MFA, say),
 *    nothing runs: `approval.obo.failed` (with `claimsChallenge`) is audited, a new attempt is
 *    opened (the next round, within MAX_SIGN_IN_ROUNDS) and the result is a sign-in carrying the
 *    claims, which the route relays as a 401 insufficient_claims challenge. The CLI signs in again
 *    with those claims and posts that token here, where it uses up the new attempt like any other.
 * The token is never stored: it is held by the route for this one call.
 */
import type { SessionUser } from '../sessions/session-data.ts';
import { freshTokenEvidence } from '../signin/fresh-token-evidence.ts';
import { approverOf, loadRequest, refuseDecision, type ElevationDeps } from './approval-deps.ts';
import { refused, type DecisionResult } from './decision-results.ts';
import { APPROVAL_CONTINUATION, continueElevationApproval, type ElevationSignIn } from './elevation-approval.ts';

const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

export interface ApiElevationInput {
  requestId: string;
  /** the approver as the fresh token names them, after the API's account checks */
  user: SessionUser;
  /** the fresh delegated token for Elevate's API, for the one exchange */
  token: { oid: string; tid: string; reveal(): string };
  /** its `iat` and `auth_time` */
  issuedAt: number | undefined;
  authTime: number | undefined;
  /** what the CLI showed the administrator */
  operationHash: unknown;
}

export async function completeApiElevationApproval(deps: ElevationDeps, x: ApiElevationInput): Promise<DecisionResult> {
  if (!REQUEST_ID.test(x.requestId)) return refused(404, 'not_found', 'no such request');
  const approver = approverOf(x.user);
  const now = deps.clock();
  // Single use: this token has used up the attempt, whatever happens next.
  const attempt = await deps.approvals.consumeAttempt(x.requestId, approver.oid, now.toISOString());
  const request = await loadRequest(deps, x.requestId);
  if (!request) return refused(404, 'not_found', 'no such request');
  const refuse = (code: string, message: string) => refuseDecision(deps, { request, requestId: request.id, approver, decision: 'approve', code, message });
  if (!attempt) {
    return refuse('no_attempt', 'No approval of this request is waiting for a fresh sign-in by this account: it was already used, it expired, or it was never started. Run the approval again.');
  }
  if (typeof x.operationHash !== 'string' || x.operationHash !== request.operationHash) {
    return refuse('operation_mismatch', 'The operation you approved is not the one this request holds; nothing was run. Show the request again and approve what it says.');
  }
  const evidence = freshTokenEvidence({
    authTime: x.authTime,
    issuedAt: x.issuedAt,
    startedAt: Math.floor(Date.parse(attempt.createdAt) / 1000),
    nowSeconds: Math.floor(now.getTime() / 1000),
  });
  const signIn: ElevationSignIn = {
    user: { ...x.user, authTime: evidence.source === 'auth_time' ? evidence.authenticatedAt : null },
    boundTo: { kind: APPROVAL_CONTINUATION, requestId: request.id },
    // The attempt asked for a fresh sign-in (the CLI's device code flow); whether one happened
    // inside it is what the evidence says.
    promptedLogin: evidence.source !== 'none',
    authenticatedDuringFlow: evidence.duringAttempt,
    authenticatedAt: evidence.authenticatedAt,
    authenticationSource: evidence.source,
    apiToken: x.token,
  };
  return continueElevationApproval(deps, signIn, attempt);
}
