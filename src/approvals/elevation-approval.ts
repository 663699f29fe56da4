/**
 * Elevation (the agent's identity lacks the permission): the approver's own Azure permissions are
 * used once, for exactly the approved operation.
 *
 * 1. Approve: the review is checked, an attempt (with the reason) is stored, and the approver is
 *    sent through a fresh sign-in bound to this request (prompt=login and a nonce for this one
 *    request; no max_age, see below), asking for a delegated token for Elevate's API when this
 *    approval would complete the request.
 * 2. The callback: the sign-in must be fresh and for this request, the role and tenant are checked
 *    again, the attempt is consumed (once), and the review is re-run on the current state. For the
 *    approval that reaches the threshold, `approval.obo.started` is audited, then the token is
 *    exchanged (on-behalf-of) for an ARM token; only when that worked is the request approved,
 *    `approval.decided` audited by the approval that won the approve transition (a loser records
 *    `approval.refused`), the request executed with it, and the token discarded
 *    (obo-execution.ts). A failed exchange leaves `approval.obo.failed`, never "decided: approve".
 * Sign-ins are capped at MAX_SIGN_IN_ROUNDS per approval on every path that asks for another
 * one; a second Approve press while the first one's sign-in is being started is refused (409),
 * since the browser session would keep only one of the two pending sign-ins.
 * Entra answers that need the approver (MFA or Conditional Access claims challenges, an expired
 * token) send them through sign-in again; those that need the tenant's administrator (consent)
 * are shown with what to do. The request stays pending in both cases: nothing ran.
 */
import { OboExchangeError } from '../azure/obo-error.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import type { SessionUser, SignInBinding } from '../sessions/session-data.ts';
import type { AuthenticationSource } from '../signin/authentication-evidence.ts';
import { PENDING_SIGN_IN_SECONDS, type BeginSignInOptions } from '../signin/begin-sign-in.ts';
import { abilityForUser } from '../signin/access-control.ts';
import { approverDetails, decidedEntry, oboFailedEntry, oboStartedEntry, signInStartedEntry, userActor } from './approval-audit.ts';
import { approverOf, auditUnavailable, deciderOf, isAuditFailure, loadRequest, refuseDecision, type ElevationDeps, reviewStateOf } from './approval-deps.ts';
import type { ElevationAttempt } from './approval-store.ts';
import type { Approver } from './approval-types.ts';
import { checkFreshSignIn, ELIGIBILITY_MESSAGES } from './approver-eligibility.ts';
import { countApproval } from './count-approval.ts';
import { refused, type DecisionResult } from './decision-results.ts';
import { holdWhileExecuting } from './hold-while-executing.ts';
import { withOneTimeArmToken } from './obo-execution.ts';
import { oboAdminAction } from './obo-problems.ts';
import { reviewRequest } from './review-request.ts';

/** The sign-in continuation kind the approval pages register. */
export const APPROVAL_CONTINUATION = 'approval';
/** Sign-ins one approval may go through (the first, plus claims challenges / expired tokens). */
export const MAX_SIGN_IN_ROUNDS = 3;

/** What the callback hands over (a subset of CompletedSignIn). */
export interface ElevationSignIn {
  user: SessionUser;
  boundTo: SignInBinding | undefined;
  promptedLogin: boolean;
  authenticatedDuringFlow: boolean;
  /** auth_time, or without it the start of the prompt=login flow (signin/authentication-evidence.ts) */
  authenticatedAt: number | null;
  authenticationSource: AuthenticationSource | 'token_iat';
  apiToken: { oid: string; tid: string; reveal(): string } | undefined;
}

/**
 * No `max_age`: openid-client would then demand `auth_time`, an optional claim Entra leaves out
 * unless the app registration asks for it, and every elevation would fail on such a tenant.
 * `prompt=login` forces the approver to enter credentials for this one request, the per-request
 * nonce ties the ID token to it, and checkFreshSignIn bounds the age by `auth_time` when present
 * or else by the start of the flow: the argument is in signin/authentication-evidence.ts.
 */
function signInOptions(deps: ElevationDeps, requestId: string, approver: Approver, x: { apiScope: boolean; claims?: string | undefined }): BeginSignInOptions {
  return {
    prompt: 'login',
    boundTo: { kind: APPROVAL_CONTINUATION, requestId },
    apiScope: x.apiScope,
    loginHint: approver.upn,
    ...(x.claims ? { claims: x.claims } : {}),
  };
}

async function startSignIn(
  deps: ElevationDeps,
  request: OperationRequest,
  approver: Approver,
  attempt: { reason: string; rounds: number },
  x: { apiScope: boolean; claims?: string | undefined; message?: string },
): Promise<DecisionResult> {
  if (attempt.rounds > MAX_SIGN_IN_ROUNDS) {
    return refuseDecision(deps, {
      request,
      requestId: request.id,
      approver,
      decision: 'approve',
      code: 'too_many_sign_ins',
      message: `This approval already went through ${MAX_SIGN_IN_ROUNDS} sign-ins; nothing ran. Start again from the request page, or ask another administrator.`,
    });
  }
  const now = deps.clock();
  await deps.audit.append(signInStartedEntry(request, approver, { round: attempt.rounds, claimsChallenge: x.claims !== undefined }));
  await deps.approvals.putAttempt({
    requestId: request.id,
    approverOid: approver.oid,
    approverUpn: approver.upn,
    reason: attempt.reason,
    rounds: attempt.rounds,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + PENDING_SIGN_IN_SECONDS * 1000).toISOString(),
  });
  return { kind: 'sign_in', request, options: signInOptions(deps, request.id, approver, x), message: x.message };
}

/** Approve pressed on a pending elevation: check, remember the reason, ask for a fresh sign-in. */
export async function beginElevationApproval(deps: ElevationDeps, requestId: string, user: SessionUser, rawReason: unknown, pressedAt: Date = deps.clock()): Promise<DecisionResult> {
  const who = deciderOf(deps, user, 'approve');
  const approver = approverOf(user);
  if (!who.ok) return refuseDecision(deps, { request: undefined, requestId, approver, decision: 'approve', code: who.code, message: who.message });
  return deps.lock.run(requestId, async () => {
    try {
      const request = await loadRequest(deps, requestId);
      if (!request) return refused(404, 'not_found', 'no such request');
      const outcome = reviewRequest(
        await reviewStateOf(deps, request),
        { decision: 'approve', approver, reason: rawReason },
        deps.policies,
      );
      if (outcome.outcome === 'refused') return refuseDecision(deps, { request, requestId, approver, decision: 'approve', code: outcome.code, message: outcome.message });
      if (outcome.outcome === 'deny' || outcome.kind !== 'elevation') return refused(409, 'not_elevation', 'this request does not wait for an elevation approval', request);
      // Under the request's lock: a press that was queued behind another one (double click, two
      // tabs posting at once) finds the attempt that one started after this press began. Both
      // came with the same session, of which the store keeps only the last write, so one of the
      // two sign-ins would be silently lost: this press is refused instead, saying why.
      const inProgress = await deps.approvals.liveAttemptOf(request.id, approver.oid, deps.clock().toISOString());
      if (inProgress && Date.parse(inProgress.createdAt) >= pressedAt.getTime()) {
        return refuseDecision(deps, {
          request,
          requestId,
          approver,
          decision: 'approve',
          code: 'approval_in_progress',
          message: 'Your approval of this request is already being started (Approve was pressed twice at once). Continue with the sign-in the first press opened, or press Approve again.',
        });
      }
      // The delegated token is asked for only when this approval would complete the request.
      return await startSignIn(deps, request, approver, { reason: outcome.reason, rounds: 1 }, { apiScope: outcome.outcome === 'approve' });
    } catch (err) {
      if (isAuditFailure(err)) return auditUnavailable();
      throw err;
    }
  });
}

/** The bound sign-in's callback. */
export async function completeElevationApproval(deps: ElevationDeps, signIn: ElevationSignIn): Promise<DecisionResult> {
  const requestId = signIn.boundTo?.requestId ?? '';
  const approver = approverOf(signIn.user);
  const now = deps.clock();
  // Whatever happens next, this sign-in has used up the attempt it was started for.
  const attempt = /^[A-Za-z0-9-]{1,64}$/.test(requestId) ? await deps.approvals.consumeAttempt(requestId, approver.oid, now.toISOString()) : undefined;
  return continueElevationApproval(deps, signIn, attempt);
}

/**
 * After the attempt was consumed (by the browser callback above, or by the CLI's fresh token in
 * api-elevation-approval.ts): the fresh sign-in is checked, then the decision is made.
 */
export async function continueElevationApproval(deps: ElevationDeps, signIn: ElevationSignIn, attempt: ElevationAttempt | undefined): Promise<DecisionResult> {
  const requestId = signIn.boundTo?.requestId ?? '';
  const approver = approverOf(signIn.user);
  const now = deps.clock();
  const request = await loadRequest(deps, requestId);
  if (!request) return refused(404, 'not_found', 'no such request');

  const refusal = checkFreshSignIn(
    {
      oid: signIn.user.oid,
      tid: signIn.user.tid,
      homeTenantId: signIn.user.homeTenantId,
      holdsDecidingRole: abilityForUser(signIn.user, deps.policies).can('approve', 'Approval'),
      boundTo: signIn.boundTo,
      promptedLogin: signIn.promptedLogin,
      authenticatedDuringFlow: signIn.authenticatedDuringFlow,
      authenticatedAt: signIn.authenticatedAt,
      apiToken: signIn.apiToken ? { oid: signIn.apiToken.oid, tid: signIn.apiToken.tid } : undefined,
    },
    { kind: APPROVAL_CONTINUATION, requestId, tenantId: deps.tenantId, approverOid: attempt?.approverOid ?? approver.oid, freshAuthSeconds: deps.freshAuthSeconds, nowSeconds: Math.floor(now.getTime() / 1000) },
  );
  if (refusal) return refuseDecision(deps, { request, requestId, approver, decision: 'approve', code: refusal, message: ELIGIBILITY_MESSAGES[refusal] });
  if (!attempt && (await deps.approvals.othersHaveLiveAttempt(requestId, approver.oid, now.toISOString()))) {
    return refuseDecision(deps, { request, requestId, approver, decision: 'approve', code: 'different_account', message: ELIGIBILITY_MESSAGES.different_account });
  }
  if (!attempt) {
    return refuseDecision(deps, {
      request,
      requestId,
      approver,
      decision: 'approve',
      code: 'no_attempt',
      message: 'No approval of this request is waiting for this sign-in: it was already used, it expired, or it was started elsewhere. Start again from the request page.',
    });
  }
  return deps.lock.run(requestId, async () => {
    try {
      return await decide(deps, signIn, approver, attempt);
    } catch (err) {
      if (isAuditFailure(err)) {
        deps.logger?.error({ err, requestId }, 'elevation approval not applied: audit unavailable');
        return auditUnavailable();
      }
      throw err;
    }
  });
}

async function decide(deps: ElevationDeps, signIn: ElevationSignIn, approver: Approver, attempt: ElevationAttempt): Promise<DecisionResult> {
  const request = await loadRequest(deps, attempt.requestId);
  if (!request) return refused(404, 'not_found', 'no such request');
  // A first look, for the refusals that need no write; the count that decides is taken below.
  const first = reviewRequest(
    await reviewStateOf(deps, request),
    { decision: 'approve', approver, reason: attempt.reason },
    deps.policies,
  );
  if (first.outcome === 'refused') return refuseDecision(deps, { request, requestId: request.id, approver, decision: 'approve', code: first.code, message: first.message });
  if (first.outcome === 'deny' || first.kind !== 'elevation') return refused(409, 'not_elevation', 'this request does not wait for an elevation approval', request);
  // Counted against the request's other approvals one at a time (count-approval.ts): recorded
  // when more are needed, else this approval completes the request, even when a concurrent one
  // made it the last (then this approver may have no API token yet: see below).
  const counted = await countApproval(deps, request, approver, attempt.reason);
  if (counted.kind === 'answered') return counted.result;
  const outcome = counted.outcome;
  const at = deps.clock().toISOString();

  const apiToken = signIn.apiToken;
  if (!apiToken) {
    // Others approved while this approver was signing in, or at the same moment: this one is now
    // the last approval, and its sign-in did not ask for the token Elevate acts with. Nothing
    // runs without it; the approver signs in once more, and the count is taken again then.
    return startSignIn(deps, request, approver, { reason: attempt.reason, rounds: attempt.rounds + 1 }, {
      apiScope: true,
      message: 'Your approval now completes the request; sign in once more so Elevate can act with your Azure permissions.',
    });
  }

  // The exchange is an action: on record before it (if this append fails, nothing is exchanged).
  // It says the exchange is starting, not that the request is approved.
  await deps.audit.append(oboStartedEntry(request, approver, { reason: outcome.reason, approverOids: outcome.approverOids, required: outcome.required, authTime: signIn.user.authTime }));
  try {
    return await withOneTimeArmToken({ ...deps, track: deps.background.track }, { userAssertion: apiToken.reveal(), request, approver }, async (credential, token, report) => {
      // The exchange worked. The decision is recorded by the lifecycle only if this approval wins
      // the approve transition, right after it and before anything runs: an approver who lost the
      // race (another approver, a deny, the deadline) records a refusal, never "decided: approve".
      // A failed append throws; the token is discarded in withOneTimeArmToken's finally.
      const decision = decidedEntry(request, approver, {
        kind: 'elevation',
        reason: outcome.reason,
        approverOids: outcome.approverOids,
        required: outcome.required,
        authTime: signIn.user.authTime,
        authenticationSource: signIn.authenticationSource,
      });
      const approved = await deps.lifecycle
        .approve(request.id, userActor(approver), {
          reason: outcome.reason,
          details: {
            kind: 'elevation',
            approver: approverDetails(approver),
            approvers: outcome.approverOids,
            required: outcome.required,
            tokenUtiSha256: token.utiSha256,
            tokenExpiresAt: token.expiresAt,
          },
          decision,
        })
        .catch(async (err: unknown) => {
          // Reverted, or (the decision on record, its transition's entry not) left approved: the discard says which.
          report.requestState = (await deps.requests.get(request.id).catch(() => undefined))?.request.state ?? report.requestState;
          throw err;
        });
      if (!approved.ok) {
        const current = approved.code === 'invalid_state' ? approved.request : request;
        report.requestState = current.state;
        return refuseDecision(deps, { request: current, requestId: request.id, approver, decision: 'approve', code: 'changed_concurrently', message: approved.message });
      }
      await deps.approvals.recordApproval({ requestId: request.id, approver, kind: 'elevation', reason: outcome.reason, at });
      report.used = true;
      report.requestState = 'approved';
      const executed = await deps.executor.executeRequest(request.id, credential, approver.oid, { actor: userActor(approver), waitMs: deps.executionWaitMs, credentialKind: 'obo' });
      const current = executed.ok ? executed.request : executed.request;
      if (current) {
        report.requestState = current.state;
        report.armCorrelationId = current.arm?.correlationId ?? null;
        report.armStatus = current.arm?.status ?? null;
        if (current.state === 'executing') {
          // ARM is still at it and the executor follows with this credential: discard after.
          report.holdUntil = holdWhileExecuting({
            requests: deps.requests,
            requestId: request.id,
            tokenExpiresAt: token.expiresAt,
            clock: deps.clock,
            pollMs: deps.holdPollMs ?? 2000,
            signal: deps.background.signal,
            report,
          });
        }
      }
      if (!executed.ok) return refused(409, 'changed_concurrently', executed.message, executed.request);
      return { kind: 'executed', request: executed.request };
    });
  } catch (err) {
    if (err instanceof OboExchangeError) return oboFailed(deps, request, approver, attempt, err);
    throw err;
  }
}

async function oboFailed(deps: ElevationDeps, request: OperationRequest, approver: Approver, attempt: ElevationAttempt, err: OboExchangeError): Promise<DecisionResult> {
  deps.logger?.warn({ requestId: request.id, code: err.code, aadsts: err.aadsts }, 'on-behalf-of exchange for an elevation failed; nothing ran');
  await deps.audit.append(oboFailedEntry(request, approver, { code: err.code, aadsts: err.aadsts, message: err.message, claimsChallenge: err.claims !== undefined }));
  const userCanFix = err.code === 'interaction_required' || err.code === 'assertion_expired';
  if (userCanFix && attempt.rounds < MAX_SIGN_IN_ROUNDS) {
    return startSignIn(deps, request, approver, { reason: attempt.reason, rounds: attempt.rounds + 1 }, {
      apiScope: true,
      claims: err.claims,
      message: `Entra asks you to sign in again before Elevate can act for you: ${err.message}.`,
    });
  }
  return { kind: 'obo_problem', request, code: err.code, message: err.message, adminAction: oboAdminAction(err.code, deps) };
}
