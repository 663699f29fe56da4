/**
 * The audit entries of the operations API: one builder per event type, so every entry of a kind
 * carries the same filter fields (agent, request, action, scope, outcome, acting identity) and
 * the same shape of details. Agent-supplied text goes in as data; the audit log redacts anything
 * token-shaped on its own.
 */
import { MANAGED_IDENTITY_PREFIX } from '../audit/acting-identity.ts';
import type { AuditActor, AuditInput, JsonObject, JsonValue } from '../audit/audit-types.ts';
import type { RequesterIdentity } from '../directory/requester-identity.ts';
import type { Agent, ArmOperation, OperationDecision, OperationRequest, RequestState } from './operation-types.ts';
import type { RequestEvent } from './request-state-machine.ts';

export const OPERATION_AUDIT_EVENTS = {
  /** a submission refused before any decision (bad input, idempotency conflict) */
  refused: 'operation.refused',
  /** a decision-only query (POST /decisions) */
  decided: 'operation.decided',
  /** the count of identical decision-only queries repeated within a window (decision-query-audit.ts) */
  decidedRepeated: 'operation.decided.repeated',
  /** a submission refused by a guardrail or the run mode; nothing is stored */
  forbidden: 'operation.forbidden',
  /** a request created, with its decision and first state */
  requested: 'operation.requested',
  /** any lifecycle transition (approve, deny, cancel, expire, start, succeed, fail) */
  transition: 'operation.transition',
  /** ARM refused what the cache said was allowed; the permission cache was dropped and the decision re-made */
  redecided: 'operation.redecided',
  /** a call to ARM for the operation, recorded before it is sent */
  armRequest: 'arm.request',
  /** ARM accepted a long-running operation (its final answer comes with the succeed/fail transition) */
  armResponse: 'arm.response',
  /** an instance's reconciler claimed an execution whose instance died (issue 16), before it acted on it */
  executionTakenOver: 'operation.execution.taken_over',
  /**
   * ARM's final answer reached an instance after the request had already been ended elsewhere (a
   * reconciler that judged the instance gone ended it `outcome_unknown`): what ARM said, kept.
   */
  executionLateResult: 'operation.execution.late_result',
  /** an API call without a valid agent identity */
  authRefused: 'api.auth.refused',
} as const;

/** Bodies up to this size are copied into the audit entry; larger ones are bound by the operation hash. */
const AUDITED_BODY_BYTES = 16 * 1024;

/**
 * The acting identity recorded when the agent's own managed identity runs an operation (see
 * audit/acting-identity.ts): the agent, not its UAMI's principal id, which reads like an approver's.
 */
export const managedIdentityOf = (agent: Pick<Agent, 'id'>): string => `${MANAGED_IDENTITY_PREFIX}${agent.id}`;

export const agentActor = (agent: Pick<Agent, 'id' | 'name'>): AuditActor => ({ kind: 'agent', id: agent.id, name: agent.name });
export const SYSTEM_ACTOR: AuditActor = { kind: 'system', id: 'elevate' };

function operationDetails(op: ArmOperation, operationHash?: string): JsonObject {
  const details: JsonObject = { method: op.method, path: op.path, apiVersion: op.apiVersion };
  if (operationHash) details.operationHash = operationHash;
  if (op.query !== undefined) details.query = { ...op.query };
  if (op.body !== undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(op.body), 'utf8');
    if (bytes <= AUDITED_BODY_BYTES) details.body = op.body as JsonValue;
    else details.bodyBytes = bytes;
  }
  return details;
}

function decisionDetails(d: OperationDecision): JsonObject {
  const out: JsonObject = {
    outcome: d.outcome,
    reason: d.reasonCode,
    explanation: d.explanation,
    runMode: d.runMode,
    isWrite: d.isWrite,
  };
  if (d.actionStatus && d.actionStatus !== 'listed') out.actionStatus = d.actionStatus;
  if (d.actionNote) out.actionNote = d.actionNote;
  if (d.guardrail) out.guardrail = { rule: d.guardrail.rule, reason: d.guardrail.reason };
  if (d.contentRules && d.contentRules.length > 0) {
    out.contentRules = d.contentRules.map((h) => {
      const hit: JsonObject = { rule: h.rule, effect: h.effect };
      if (h.condition) hit.condition = h.condition;
      if (h.failedClosed) hit.failedClosed = h.failedClosed;
      return hit;
    });
  }
  if (d.approversRequired !== undefined) out.approversRequired = d.approversRequired;
  // the explanation already carries the evaluator's message
  if (d.permission) out.permission = { allowed: d.permission.allowed, reason: d.permission.reason };
  if (d.missingAction) out.missingAction = d.missingAction;
  if (d.wouldBeGrantedBy.length > 0) out.wouldBeGrantedBy = d.wouldBeGrantedBy.map((r) => r.roleName);
  return out;
}

export function refusedEntry(agent: Agent, code: string, message: string, fields: Array<{ path: string; message: string }>): AuditInput {
  return {
    actor: agentActor(agent),
    eventType: OPERATION_AUDIT_EVENTS.refused,
    agentId: agent.id,
    outcome: 'refused',
    details: { code, message, fields: fields.slice(0, 20).map((f) => ({ path: f.path, message: f.message })) },
  };
}

export function decisionEntry(
  kind: 'decided' | 'forbidden',
  agent: Agent,
  op: ArmOperation,
  decision: OperationDecision,
  extra: { justification?: string | undefined; trigger: JsonObject; idempotencyKey?: string },
): AuditInput {
  const details: JsonObject = { operation: operationDetails(op), decision: decisionDetails(decision), trigger: extra.trigger };
  if (extra.justification !== undefined) details.justification = extra.justification;
  if (extra.idempotencyKey !== undefined) details.idempotencyKey = extra.idempotencyKey;
  return {
    actor: agentActor(agent),
    eventType: OPERATION_AUDIT_EVENTS[kind],
    agentId: agent.id,
    action: decision.action,
    scope: decision.scope,
    outcome: decision.outcome,
    details,
  };
}

/** `requester`: who `trigger.requestedBy` was resolved to in the directory, as recorded with the request. */
export function requestedEntry(agent: Agent, request: OperationRequest, requester?: RequesterIdentity): AuditInput {
  const details: JsonObject = {
    operation: operationDetails(request.operation, request.operationHash),
    decision: decisionDetails(request.decision),
    trigger: request.trigger as unknown as JsonObject,
    idempotencyKey: request.idempotencyKey,
    state: request.state,
  };
  if (request.justification !== undefined) details.justification = request.justification;
  if (request.expiresAt !== undefined) details.expiresAt = request.expiresAt;
  if (requester) details.requester = requester.status === 'resolved' ? { status: 'resolved', objectId: requester.objectId } : { status: 'unresolved', reason: requester.reason };
  return {
    actor: agentActor(agent),
    eventType: OPERATION_AUDIT_EVENTS.requested,
    subject: request.id,
    agentId: agent.id,
    requestId: request.id,
    action: request.decision.action,
    scope: request.decision.scope,
    outcome: request.decision.outcome,
    details,
  };
}

export function transitionEntry(
  request: OperationRequest,
  t: { from: RequestState; to: RequestState; event: RequestEvent },
  actor: AuditActor,
  extra: { actingIdentity?: string | undefined; reason?: string | undefined; details?: JsonObject },
): AuditInput {
  const details: JsonObject = { from: t.from, to: t.to, event: t.event, ...(extra.details ?? {}) };
  if (extra.reason !== undefined) details.reason = extra.reason;
  return {
    actor,
    eventType: OPERATION_AUDIT_EVENTS.transition,
    subject: request.id,
    agentId: request.agentId,
    requestId: request.id,
    action: request.decision.action,
    scope: request.decision.scope,
    outcome: t.to,
    actingIdentity: extra.actingIdentity ?? null,
    approverId: actor.kind === 'user' && (t.event === 'approve' || t.event === 'deny') ? actor.id : null,
    details,
  };
}

export function armRequestEntry(request: OperationRequest, actor: AuditActor, actingIdentity: string, correlationId: string): AuditInput {
  return {
    actor,
    eventType: OPERATION_AUDIT_EVENTS.armRequest,
    subject: request.id,
    agentId: request.agentId,
    requestId: request.id,
    action: request.decision.action,
    scope: request.decision.scope,
    outcome: 'sent',
    actingIdentity,
    details: { operation: operationDetails(request.operation, request.operationHash), correlationId },
  };
}

export function armResponseEntry(
  request: OperationRequest,
  actor: AuditActor,
  actingIdentity: string,
  r: { status: number; correlationId: string; armRequestId?: string | undefined; error?: { code: string; message: string } | undefined; longRunning: boolean },
): AuditInput {
  const details: JsonObject = { status: r.status, correlationId: r.correlationId, longRunning: r.longRunning };
  if (r.armRequestId) details.armRequestId = r.armRequestId;
  if (r.error) details.error = { code: r.error.code, message: r.error.message };
  return {
    actor,
    eventType: OPERATION_AUDIT_EVENTS.armResponse,
    subject: request.id,
    agentId: request.agentId,
    requestId: request.id,
    action: request.decision.action,
    scope: request.decision.scope,
    outcome: String(r.status),
    actingIdentity,
    details,
  };
}

/**
 * A reconciler took over an execution whose instance is gone. Appended after the claim and before
 * anything is done with it, so the chain shows which instance ended the request and why.
 * `from` null: the row was written before executions named their instance.
 */
export function executionTakenOverEntry(request: OperationRequest, takeover: { from: string | null; to: string; correlationId: string }): AuditInput {
  return {
    actor: SYSTEM_ACTOR,
    eventType: OPERATION_AUDIT_EVENTS.executionTakenOver,
    subject: request.id,
    agentId: request.agentId,
    requestId: request.id,
    action: request.decision.action,
    scope: request.decision.scope,
    outcome: 'taken_over',
    details: { fromInstance: takeover.from, toInstance: takeover.to, correlationId: takeover.correlationId, reason: 'the instance that started this execution is no longer alive' },
  };
}

/**
 * What ARM answered for an execution whose request had already been ended by another transition
 * (`endedAs`) when the answer arrived: the state stays as it is (a final state never moves), and
 * this entry records the answer, so no observed outcome is lost.
 */
export function executionLateResultEntry(
  request: OperationRequest,
  late: { observed: 'succeeded' | 'failed'; endedAs: string; status: number; correlationId: string | null; armRequestId: string | null; instance: string | null },
): AuditInput {
  return {
    actor: SYSTEM_ACTOR,
    eventType: OPERATION_AUDIT_EVENTS.executionLateResult,
    subject: request.id,
    agentId: request.agentId,
    requestId: request.id,
    action: request.decision.action,
    scope: request.decision.scope,
    outcome: late.observed,
    details: { observed: late.observed, endedAs: late.endedAs, status: late.status, correlationId: late.correlationId, armRequestId: late.armRequestId, instance: late.instance },
  };
}

export function redecidedEntry(agent: Agent, request: OperationRequest, decision: OperationDecision): AuditInput {
  return {
    actor: SYSTEM_ACTOR,
    eventType: OPERATION_AUDIT_EVENTS.redecided,
    subject: request.id,
    agentId: agent.id,
    requestId: request.id,
    action: decision.action,
    scope: decision.scope,
    outcome: decision.outcome,
    details: { decision: decisionDetails(decision), cause: 'ARM answered AuthorizationFailed; permission cache invalidated' },
  };
}

export function authRefusedEntry(reason: string, message: string, who: { oid?: string | undefined; clientAppId?: string | undefined }): AuditInput {
  const details: JsonObject = { reason, message };
  if (who.clientAppId) details.clientAppId = who.clientAppId;
  return {
    actor: { kind: 'service', id: who.oid ?? 'unauthenticated' },
    eventType: OPERATION_AUDIT_EVENTS.authRefused,
    outcome: 'refused',
    details,
  };
}
