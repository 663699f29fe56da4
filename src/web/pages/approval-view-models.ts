/**
 * What the approval pages print, built from the request and its history. Everything the agent
 * supplied (path, body, justification, trigger ref, requestedBy) passes through as plain strings:
 * the templates autoescape them and never turn them into links or markup.
 */
import type { RequestOverview } from '../../approvals/approvals-module.ts';
import { describeEntry } from '../../audit/audit-timeline.ts';
import type { AuditEntry, JsonValue } from '../../audit/audit-types.ts';
import type { Agent, OperationRequest } from '../../operations/operation-types.ts';

export const approvalHref = (requestId: string) => `/approvals/${encodeURIComponent(requestId)}`;

/** "12 min left", "1 h 5 min left", "expired"; undefined when the request has no deadline. */
export function timeLeft(expiresAt: string | undefined, now: Date): string | undefined {
  if (expiresAt === undefined) return undefined;
  const seconds = Math.floor((Date.parse(expiresAt) - now.getTime()) / 1000);
  if (!Number.isFinite(seconds)) return undefined;
  if (seconds <= 0) return 'expired';
  if (seconds < 60) return `${seconds} s left`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min left`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

const KIND_LABELS = { consent: 'Consent (runs with the agent identity)', elevation: 'Elevation (runs once with your Azure permissions)' } as const;

export const STATE_LABELS: Record<OperationRequest['state'], string> = {
  pending_consent: 'Waiting for consent',
  pending_elevation: 'Waiting for elevation approval',
  approved: 'Approved, not yet run',
  executing: 'Executing',
  succeeded: 'Succeeded',
  failed: 'Failed',
  denied: 'Denied',
  expired: 'Expired',
  cancelled: 'Cancelled',
  outcome_unknown: 'Outcome unknown (interrupted; not re-run — check the Azure activity log)',
};

const oneLine = (text: string | undefined, max: number) => {
  if (text === undefined) return undefined;
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export interface PendingRow {
  id: string;
  href: string;
  createdAt: string;
  agentName: string;
  kind: string;
  method: string;
  path: string;
  action: string;
  requestedBy: string | undefined;
  justification: string | undefined;
  timeLeft: string | undefined;
}

export function pendingRow(request: OperationRequest, agent: Agent | undefined, now: Date): PendingRow {
  return {
    id: request.id,
    href: approvalHref(request.id),
    createdAt: request.createdAt,
    agentName: agent?.name ?? `unknown agent ${request.agentId}`,
    kind: request.state === 'pending_elevation' ? 'Elevation' : 'Consent',
    method: request.operation.method,
    path: request.operation.path,
    action: request.decision.action,
    requestedBy: request.trigger.requestedBy,
    justification: oneLine(request.justification, 160),
    timeLeft: timeLeft(request.expiresAt, now),
  };
}

export interface HistoryRow {
  seq: number;
  ts: string;
  summary: string;
  eventType: string;
  actor: string;
  outcome: string | null;
  reason: string | undefined;
}

const text = (v: JsonValue | undefined) => (typeof v === 'string' && v !== '' ? v : undefined);

export function historyRow(e: AuditEntry): HistoryRow {
  const d = e.details;
  const error = d.error !== null && typeof d.error === 'object' && !Array.isArray(d.error) ? d.error : undefined;
  return {
    seq: e.seq,
    ts: e.ts,
    summary: describeEntry(e).summary,
    eventType: e.eventType,
    actor: e.actor.name ?? e.actor.id,
    outcome: e.outcome,
    reason: text(d.reason) ?? text(error?.message) ?? text(d.message),
  };
}

/** The request page. `canDecide` is the server's answer; the buttons are also re-checked on POST. */
export function requestModel(o: RequestOverview, now: Date, x: { canApprove: boolean; canDeny: boolean }) {
  const r = o.request;
  const d = r.decision;
  const pending = o.kind !== undefined;
  return {
    id: r.id,
    href: approvalHref(r.id),
    state: r.state,
    stateLabel: STATE_LABELS[r.state],
    pending,
    kind: o.kind,
    raisedFor: o.raisedFor,
    kindLabel: o.raisedFor ? KIND_LABELS[o.raisedFor] : 'Ran without approval',
    method: r.operation.method,
    path: r.operation.path,
    apiVersion: r.operation.apiVersion,
    body: r.operation.body === undefined ? undefined : JSON.stringify(r.operation.body, null, 2),
    operationHash: r.operationHash,
    action: d.action,
    scope: d.scope,
    explanation: d.explanation,
    missingAction: d.missingAction,
    grantingRoles: d.wouldBeGrantedBy.map((s) => s.roleName),
    permissionMessage: d.permission?.message,
    runMode: d.runMode,
    agentName: o.agent?.name,
    agentId: r.agentId,
    agentIdentity: o.agent?.uamiPrincipalId,
    trigger: { kind: r.trigger.kind, ref: r.trigger.ref, requestedBy: r.trigger.requestedBy },
    justification: r.justification,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    timeLeft: timeLeft(r.expiresAt, now),
    stateReason: r.stateReason,
    actingIdentity: r.actingIdentity,
    arm: r.arm ? { status: r.arm.status, correlationId: r.arm.correlationId, armRequestId: r.arm.armRequestId, asyncStatus: r.arm.asyncStatus } : undefined,
    error: r.error,
    approvals: o.approvals.map((a) => ({ upn: a.approverUpn, oid: a.approverOid, at: a.createdAt })),
    required: o.rule?.approversRequired,
    requesterMayApprove: o.rule?.requesterMayApprove,
    canApprove: pending && x.canApprove,
    canDeny: pending && x.canDeny,
    history: o.history.map(historyRow),
    historyTruncated: o.historyTruncated,
  };
}

export type RequestModel = ReturnType<typeof requestModel>;

/** Notices after a redirect (`?done=`): a fixed set, so nothing from the URL is echoed. */
export const DONE_NOTICES: Record<string, string> = {
  recorded: 'Your approval is recorded. The request waits for more administrators to approve it.',
  executed: 'Approved. The operation was run once; its result is below.',
  denied: 'Denied. The agent sees your reason.',
};
