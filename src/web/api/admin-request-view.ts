/**
 * The JSON the administrator API answers about requests: what an approver needs to decide (the
 * exact operation, who asked and why, the approvals so far) and nothing more. Agent-supplied text
 * (justification, trigger) is data; clients must treat it as untrusted (the CLI strips control
 * characters before printing it).
 */
import type { RequestOverview } from '../../approvals/approvals-module.ts';
import type { DecisionResult } from '../../approvals/decision-results.ts';
import type { ElevationAttempt } from '../../approvals/approval-store.ts';
import type { Agent, OperationRequest } from '../../operations/operation-types.ts';
import { approvalKindOf } from '../../approvals/approval-types.ts';

export function requestSummary(request: OperationRequest, agent: Agent | undefined) {
  return {
    id: request.id,
    state: request.state,
    kind: approvalKindOf(request) ?? null,
    agent: { id: request.agentId, name: agent?.name ?? null },
    operation: { method: request.operation.method, path: request.operation.path, apiVersion: request.operation.apiVersion },
    action: request.decision.action,
    scope: request.decision.scope,
    justification: request.justification ?? null,
    requestedBy: request.trigger.requestedBy ?? null,
    createdAt: request.createdAt,
    expiresAt: request.expiresAt ?? null,
  };
}

export function requestDetail(o: RequestOverview) {
  const r = o.request;
  return {
    ...requestSummary(r, o.agent),
    operation: { method: r.operation.method, path: r.operation.path, apiVersion: r.operation.apiVersion, query: r.operation.query ?? null, body: r.operation.body ?? null },
    operationHash: r.operationHash,
    decision: { outcome: r.decision.outcome, reasonCode: r.decision.reasonCode, explanation: r.decision.explanation },
    trigger: { kind: r.trigger.kind, ref: r.trigger.ref ?? null, requestedBy: r.trigger.requestedBy ?? null },
    requester: o.requester ? (o.requester.status === 'resolved' ? { resolved: true, objectId: o.requester.objectId } : { resolved: false, reason: o.requester.reason }) : null,
    approvals: o.approvals.map((a) => ({ approverOid: a.approverOid, approverUpn: a.approverUpn, at: a.createdAt })),
    required: o.required ?? null,
    stateReason: r.stateReason ?? null,
    actingIdentity: r.actingIdentity ?? null,
    arm: r.arm ? { status: r.arm.status, correlationId: r.arm.correlationId ?? null } : null,
    history: o.history.map((e) => ({ seq: e.seq, at: e.ts, eventType: e.eventType, outcome: e.outcome ?? null, actor: e.actor.name ?? e.actor.id })),
  };
}

/**
 * The body of the 401 that relays Entra's claims challenge (the claims themselves travel in
 * WWW-Authenticate, claims-challenge-header.ts): what Entra asked for, in words, and the attempt
 * Elevate opened for the sign-in that answers it. Nothing ran; the request is still pending.
 */
export function claimsChallengeBody(result: Extract<DecisionResult, { kind: 'sign_in' }>, attempt: ElevationAttempt | undefined): Record<string, unknown> {
  return {
    error: {
      code: 'insufficient_claims',
      message: `${result.message ?? 'Entra asks you to sign in again before Elevate can act for you.'} Sign in again passing the claims in WWW-Authenticate, then send that token to complete the approval; nothing ran.`,
    },
    requestId: result.request.id,
    operationHash: result.request.operationHash,
    attempt: attempt ? { startedAt: attempt.createdAt, expiresAt: attempt.expiresAt } : null,
  };
}

/** A decision's HTTP status and body; the elevation's fresh sign-in is a 202 naming the attempt. */
export function decisionResponse(result: DecisionResult, attempt: ElevationAttempt | undefined): { status: number; body: Record<string, unknown> } {
  switch (result.kind) {
    case 'refused':
      return { status: result.status, body: { error: { code: result.code, message: result.message } } };
    case 'sign_in':
      return {
        status: 202,
        body: {
          outcome: 'fresh_sign_in_required',
          message: result.message ?? 'Approving an elevation uses your own Azure permissions: sign in afresh (device code) and send that token to complete the approval.',
          requestId: result.request.id,
          operationHash: result.request.operationHash,
          attempt: attempt ? { startedAt: attempt.createdAt, expiresAt: attempt.expiresAt } : null,
        },
      };
    case 'recorded':
      return { status: 200, body: { outcome: 'recorded', requestId: result.request.id, state: result.request.state, counted: result.counted, required: result.required } };
    case 'executed':
      return {
        status: 200,
        body: { outcome: 'executed', requestId: result.request.id, state: result.request.state, arm: result.request.arm ? { status: result.request.arm.status, correlationId: result.request.arm.correlationId ?? null } : null },
      };
    case 'denied':
      return { status: 200, body: { outcome: 'denied', requestId: result.request.id, state: result.request.state, reason: result.request.stateReason ?? null } };
    case 'obo_problem':
      // what the tenant's administrator must do (consent, say) goes with the message: the Error shape is shared with the agent API
      return { status: 409, body: { error: { code: result.code, message: result.adminAction ? `${result.message} ${result.adminAction}` : result.message } } };
  }
}
