/**
 * What the tools answer: JSON data (structuredContent, and the same JSON as text for clients
 * that read only text). Everything the agent or ARM wrote (justification, trigger, ARM bodies,
 * error messages) appears only as values in that data; the fixed sentences in `meaning` and
 * `next` are Elevate's own and never include such text.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Decision, OperationRequest } from '../client/api-types.ts';
import type { ElevateError } from '../client/client-errors.ts';
import { boundedArmBody } from './bounded-arm-body.ts';

type Json = Record<string, unknown>;

export function toolResult(data: Json, isError = false): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }], structuredContent: data, ...(isError ? { isError: true } : {}) };
}

const MEANING: Record<string, string> = {
  succeeded: 'Elevate ran the operation in Azure and ARM accepted it. `arm` holds ARM\'s answer.',
  failed: 'Elevate ran the operation but ARM refused or failed it. `arm` and `error` say why. Do not retry blindly.',
  executing: 'The operation is running in Azure (a long-running ARM operation). Call elevate_wait with requestId to follow it.',
  pending_elevation: 'Waiting for administrator approval: the agent\'s identity lacks the permission. An administrator must approve on the approval page; then Elevate runs it once as them. Call elevate_wait with requestId to keep waiting; do not submit it again.',
  pending_consent: 'Waiting for administrator approval: the policy asks a person to consent before this runs. Call elevate_wait with requestId to keep waiting; do not submit it again.',
  approved: 'An administrator approved; Elevate is about to run it. Call elevate_wait with requestId.',
  denied: 'An administrator denied the request. It will not run. `stateReason` gives their reason.',
  expired: 'Nobody approved the request in time. It will not run.',
  cancelled: 'The request was withdrawn. It will not run.',
  outcome_unknown: 'Elevate cannot tell whether ARM applied the operation (the call was interrupted). Check the resource before trying again.',
};

/** A request, as the model needs it: what happened, what to do next, and ARM's bounded answer. */
export function requestView(r: OperationRequest, approvalPageUrl: (id: string) => string): Json {
  const waiting = r.state === 'pending_elevation' || r.state === 'pending_consent' || r.state === 'approved';
  const arm = r.arm ? { status: r.arm.status, correlationId: r.arm.correlationId, asyncStatus: r.arm.asyncStatus, ...boundedArmBody(r.arm.body, undefined, r.decision.action) } : undefined;
  return {
    outcome: waiting ? 'waiting_for_approval' : r.state,
    meaning: MEANING[r.state] ?? `The request is ${r.state}.`,
    requestId: r.id,
    state: r.state,
    ...(waiting ? { approvalPage: approvalPageUrl(r.id), expiresAt: r.expiresAt } : {}),
    operation: { method: r.operation.method, path: r.operation.path, apiVersion: r.operation.apiVersion },
    decision: decisionView(r.decision),
    ...(r.stateReason !== undefined ? { stateReason: r.stateReason } : {}),
    ...(r.actingIdentity !== undefined ? { actingIdentity: r.actingIdentity } : {}),
    ...(arm ? { arm } : {}),
    ...(r.error ? { error: r.error } : {}),
    justification: r.justification,
    trigger: r.trigger,
    idempotencyKey: r.idempotencyKey,
    createdAt: r.createdAt,
  };
}

export function decisionView(d: Decision): Json {
  return {
    outcome: d.outcome,
    reasonCode: d.reasonCode,
    explanation: d.explanation,
    action: d.action,
    scope: d.scope,
    isWrite: d.isWrite,
    runMode: d.runMode,
    ...(d.missingAction ? { missingAction: d.missingAction } : {}),
    ...(d.guardrail ? { guardrail: d.guardrail } : {}),
    ...(d.permission ? { grantedBy: d.permission.grantedBy } : {}),
    wouldBeGrantedBy: d.wouldBeGrantedBy.slice(0, 5).map((r) => ({ roleName: r.roleName, roleDefinitionId: r.roleDefinitionId })),
  };
}

const DECISION_MEANING: Record<Decision['outcome'], string> = {
  execute: 'Elevate would run this now with the agent\'s own identity.',
  pending_consent: 'Elevate would ask an administrator to consent first; nothing runs until one does.',
  pending_elevation: 'The agent\'s identity lacks `missingAction`; an administrator would have to approve, and Elevate would run it once as them. `wouldBeGrantedBy` lists the smallest built-in roles that grant it.',
  forbidden: 'Elevate would refuse this (a guardrail or the run mode). Nobody can approve it.',
};

export function decisionResult(d: Decision): Json {
  return { outcome: d.outcome, meaning: DECISION_MEANING[d.outcome], decision: decisionView(d) };
}

/** An API refusal or a client-side failure, with the API's code. */
export function errorResult(e: ElevateError): CallToolResult {
  return toolResult(
    {
      outcome: 'refused',
      meaning:
        e.code === 'forbidden'
          ? 'Elevate refused the operation (a guardrail or the run mode). Nobody can approve it; do not retry.'
          : e.status === 0
            ? 'The call did not get an answer from Elevate.'
            : 'Elevate refused the call; nothing was done. `error.code` says why.',
      error: {
        status: e.status,
        code: e.code,
        message: e.message,
        ...(e.fields ? { fields: e.fields } : {}),
        ...(e.decision ? { decision: decisionView(e.decision) } : {}),
        ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
      },
    },
    true,
  );
}
