/**
 * The audit entries of approvals, one builder per event. Every entry of a request carries its id,
 * agent, action and scope (so the request's history shows it), the approver in `approverId` and
 * their oid/upn/tid in the details. No entry ever holds a token: the one-time ARM token appears
 * only as the SHA-256 of its `uti` claim.
 */
import { createHash } from 'node:crypto';
import type { AuditActor, AuditInput, JsonObject } from '../audit/audit-types.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import type { ApprovalKind, Approver } from './approval-types.ts';

export const APPROVAL_AUDIT_EVENTS = {
  /** an approval counted; more distinct administrators must approve */
  recorded: 'approval.recorded',
  /** an elevation approval waits for the approver's fresh sign-in */
  signInStarted: 'approval.sign-in.started',
  /**
   * the approval that reaches the threshold completes the request: the approver's token is about
   * to be exchanged (on-behalf-of). Recorded before the exchange (no audit entry, no action); it
   * claims nothing about the outcome. Followed by `approval.decided` or `approval.obo.failed`.
   */
  oboStarted: 'approval.obo.started',
  /**
   * the request is approved: for an elevation, only once the exchange gave Elevate a token to act
   * with, and before anything runs (issue 11.7: a failed exchange never leaves "decided: approve").
   * Appended by the request lifecycle for the approval that won the approve transition, right
   * after it and before the transition's own entry (request-lifecycle.ts): one per request.
   */
  decided: 'approval.decided',
  /** a decision attempt refused (who, why), including one that lost its request to another decision or the deadline (`changed_concurrently`) */
  refused: 'approval.refused',
  /** the on-behalf-of exchange failed; the request stays pending */
  oboFailed: 'approval.obo.failed',
  /** the approver's one-time ARM token was dropped, after the operation ran (or did not) */
  tokenDiscarded: 'token.discarded',
} as const;

export const userActor = (a: Approver): AuditActor => ({ kind: 'user', id: a.oid, name: a.upn });

export const approverDetails = (a: Approver): JsonObject => ({ oid: a.oid, upn: a.upn, tid: a.tid });

/** SHA-256 (hex) of a token's `uti`, so executions can be correlated with Entra's sign-in logs without keeping the token. */
export function utiHash(uti: string | undefined): string | null {
  return uti === undefined ? null : createHash('sha256').update(uti, 'utf8').digest('hex');
}

function base(request: OperationRequest, approver: Approver, eventType: string, outcome: string, details: JsonObject): AuditInput {
  return {
    actor: userActor(approver),
    eventType,
    subject: request.id,
    agentId: request.agentId,
    requestId: request.id,
    action: request.decision.action,
    scope: request.decision.scope,
    outcome,
    approverId: approver.oid,
    details: { approver: approverDetails(approver), ...details },
  };
}

export function recordedEntry(request: OperationRequest, approver: Approver, x: { kind: ApprovalKind; reason: string; counted: number; required: number }): AuditInput {
  return base(request, approver, APPROVAL_AUDIT_EVENTS.recorded, 'recorded', { kind: x.kind, reason: x.reason, counted: x.counted, required: x.required });
}

export function signInStartedEntry(request: OperationRequest, approver: Approver, x: { round: number; claimsChallenge: boolean }): AuditInput {
  return base(request, approver, APPROVAL_AUDIT_EVENTS.signInStarted, 'sign_in_started', { kind: 'elevation', round: x.round, claimsChallenge: x.claimsChallenge });
}

export function decidedEntry(
  request: OperationRequest,
  approver: Approver,
  x: { kind: ApprovalKind; reason: string; approverOids: string[]; required: number; authTime: number | null; authenticationSource?: string },
): AuditInput {
  return base(request, approver, APPROVAL_AUDIT_EVENTS.decided, 'approve', {
    kind: x.kind,
    reason: x.reason,
    approvers: x.approverOids,
    required: x.required,
    authTime: x.authTime === null ? null : new Date(x.authTime * 1000).toISOString(),
    // what proved the fresh sign-in: the auth_time claim, or prompt=login without it
    ...(x.authenticationSource ? { freshness: x.authenticationSource } : {}),
    operationHash: request.operationHash,
  });
}

export function oboStartedEntry(request: OperationRequest, approver: Approver, x: { reason: string; approverOids: string[]; required: number; authTime: number | null }): AuditInput {
  return base(request, approver, APPROVAL_AUDIT_EVENTS.oboStarted, 'exchanging', {
    kind: 'elevation',
    reason: x.reason,
    approvers: x.approverOids,
    required: x.required,
    authTime: x.authTime === null ? null : new Date(x.authTime * 1000).toISOString(),
    operationHash: request.operationHash,
  });
}

export function refusedEntry(request: OperationRequest | undefined, requestId: string, approver: Approver, x: { decision: 'approve' | 'deny'; code: string; message: string }): AuditInput {
  return {
    actor: userActor(approver),
    eventType: APPROVAL_AUDIT_EVENTS.refused,
    // The id came from a URL: only a well-formed one is recorded as the subject.
    subject: /^[A-Za-z0-9-]{1,64}$/.test(requestId) ? requestId : null,
    agentId: request?.agentId ?? null,
    requestId: request ? request.id : null,
    action: request?.decision.action ?? null,
    scope: request?.decision.scope ?? null,
    outcome: 'refused',
    approverId: approver.oid,
    details: { approver: approverDetails(approver), decision: x.decision, code: x.code, message: x.message },
  };
}

export function oboFailedEntry(request: OperationRequest, approver: Approver, x: { code: string; aadsts: string | undefined; message: string; claimsChallenge: boolean }): AuditInput {
  return base(request, approver, APPROVAL_AUDIT_EVENTS.oboFailed, x.code, {
    code: x.code,
    aadsts: x.aadsts ?? null,
    message: x.message,
    claimsChallenge: x.claimsChallenge,
  });
}

export function tokenDiscardedEntry(
  request: OperationRequest,
  approver: Approver,
  x: {
    utiSha256: string | null;
    tokenExpiresAt: string | null;
    discardedAt: string;
    armCorrelationId: string | null;
    armStatus: number | null;
    requestState: string;
    used: boolean;
    /** why: after its one use (`used`), or `process_end` when the process holding it ended */
    reason?: 'after_use' | 'process_end';
  },
): AuditInput {
  return {
    ...base(request, approver, APPROVAL_AUDIT_EVENTS.tokenDiscarded, 'discarded', {
      reason: x.reason ?? 'after_use',
      tokenUtiSha256: x.utiSha256,
      tokenExpiresAt: x.tokenExpiresAt,
      discardedAt: x.discardedAt,
      armCorrelationId: x.armCorrelationId,
      armStatus: x.armStatus,
      requestState: x.requestState,
      used: x.used,
    }),
    actingIdentity: approver.oid,
  };
}
