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

/** States in which the operation was sent to ARM. */
const RAN_STATES = new Set<OperationRequest['state']>(['executing', 'succeeded']);
const WAITING_STATES = new Set<OperationRequest['state']>(['pending_consent', 'pending_elevation', 'approved']);

/** The operation's heading: what ran, once ARM has it; what will run while it waits; otherwise what was asked. */
export function operationHeading(r: Pick<OperationRequest, 'state' | 'arm'>): string {
  if (RAN_STATES.has(r.state) || r.arm !== undefined) return 'What ran';
  if (WAITING_STATES.has(r.state)) return 'What will run';
  return 'What was asked for (it did not run)';
}

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

/** One row of the approvers' history (all requests, or my decisions). */
export function historyListRow(request: OperationRequest, agent: Agent | undefined) {
  const raised = request.decision.outcome;
  return {
    id: request.id,
    href: approvalHref(request.id),
    createdAt: request.createdAt,
    agentName: agent?.name ?? `unknown agent ${request.agentId}`,
    agentId: request.agentId,
    kind: raised === 'pending_elevation' ? 'Elevation' : raised === 'pending_consent' ? 'Consent' : 'Direct',
    method: request.operation.method,
    path: request.operation.path,
    action: request.decision.action,
    state: request.state,
    stateLabel: STATE_LABELS[request.state] ?? request.state,
    updatedAt: request.updatedAt,
  };
}

export type HistoryListRow = ReturnType<typeof historyListRow>;

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
    query: r.operation.query === undefined ? undefined : Object.entries(r.operation.query).map(([name, value]) => `${name}=${value}`).join('&'),
    body: r.operation.body === undefined ? undefined : JSON.stringify(r.operation.body, null, 2),
    operationHash: r.operationHash,
    action: d.action,
    actionStatus: d.actionStatus,
    actionNote: d.actionNote,
    actionUnlisted: d.actionStatus === 'unlisted',
    scope: d.scope,
    explanation: d.explanation,
    missingAction: d.missingAction,
    /** guardrails.yaml content rules that hold the request: policy text (trusted), the link only when it is a learn.microsoft.com one */
    contentRules: (d.contentRules ?? []).map((h) => ({
      rule: h.rule,
      reason: h.reason,
      condition: h.condition,
      link: h.link && /^https:\/\/learn\.microsoft\.com\//.test(h.link) ? h.link : undefined,
      holds: h.effect === 'forbid' ? 'Forbidden' : [h.elevation ? 'an administrator runs it with their own sign-in' : '', h.approvers ? `${h.approvers} administrators approve` : ''].filter(Boolean).join('; '),
      failedClosed: h.failedClosed,
    })),
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
    operationHeading: operationHeading(r),
    actingIdentity: r.actingIdentity,
    arm: r.arm ? { status: r.arm.status, correlationId: r.arm.correlationId, armRequestId: r.arm.armRequestId, asyncStatus: r.arm.asyncStatus } : undefined,
    error: r.error,
    approvals: o.approvals.map((a) => ({ upn: a.approverUpn, oid: a.approverOid, at: a.createdAt })),
    required: o.required ?? o.rule?.approversRequired,
    requesterMayApprove: o.rule?.requesterMayApprove,
    /** why one more approver than the policy's number is needed (the requester could not be resolved) */
    extraApprover: o.extraApprover?.message,
    canApprove: pending && x.canApprove,
    canDeny: pending && x.canDeny,
    history: o.history.map(historyRow),
    historyTruncated: o.historyTruncated,
  };
}

export type RequestModel = ReturnType<typeof requestModel>;

/** What a decision did, named by the redirect after it (`?done=`): a fixed set, so nothing from the URL is echoed. */
export const DONE_KINDS = ['recorded', 'executed', 'denied'] as const;
export type DoneKind = (typeof DONE_KINDS)[number];

export const isDoneKind = (v: unknown): v is DoneKind => typeof v === 'string' && (DONE_KINDS as readonly string[]).includes(v);

export interface Notice {
  /** The banner's kind (CSS `notice success|error|warning|info`). */
  level: 'success' | 'error' | 'warning' | 'info';
  text: string;
}

/** States in which a request still waits for approvals. */
const PENDING_STATES = new Set<OperationRequest['state']>(['pending_consent', 'pending_elevation']);

/**
 * Whether the request's state allows the banner at all. `?done=` is only a link, and anyone who
 * can read a request can send it to an approver: a banner the state does not bear out would make
 * a pending request look decided. `denied` only on a denied request; `executed` only once the
 * request has left the pending states, and never on a denied one (no approval leads there);
 * `recorded` only while it still waits for more approvals.
 */
function stateBearsOut(kind: DoneKind, state: OperationRequest['state']): boolean {
  if (kind === 'denied') return state === 'denied';
  if (kind === 'recorded') return PENDING_STATES.has(state);
  return !PENDING_STATES.has(state) && state !== 'denied';
}

/**
 * Whether the request as it is now bears out `?done=` for the person looking at it. "Your
 * approval is recorded" also needs that person's approval on record: otherwise the link would
 * tell a reader, or an approver who has not acted, that they approved.
 */
export function doneBorneOut(kind: DoneKind, o: Pick<RequestOverview, 'request' | 'approvals'>, user: { oid: string } | undefined): boolean {
  if (!stateBearsOut(kind, o.request.state)) return false;
  if (kind !== 'recorded') return true;
  return user !== undefined && o.approvals.some((a) => a.approverOid === user.oid);
}

/**
 * The banner after a decision, from what the request is now, not from what was pressed: an
 * approval whose operation failed must not read as a success. None when the state does not bear
 * the decision out (see stateBearsOut).
 */
export function doneNotice(kind: DoneKind, request: Pick<OperationRequest, 'state' | 'arm' | 'error'>): Notice | undefined {
  if (!stateBearsOut(kind, request.state)) return undefined;
  if (kind === 'recorded') return { level: 'info', text: 'Your approval is recorded. The request waits for more administrators to approve it.' };
  if (kind === 'denied') return { level: 'success', text: 'Denied. The agent sees your reason.' };
  switch (request.state) {
    case 'succeeded':
      return { level: 'success', text: 'Approved. The operation ran once and succeeded; its result is below.' };
    case 'failed': {
      const arm = request.arm ? `ARM answered ${request.arm.status}` : 'it did not reach ARM';
      const code = request.error?.code ? ` (${request.error.code})` : '';
      return { level: 'error', text: `Approved, but the operation failed: ${arm}${code}. It ran at most once and is not retried; the details are below.` };
    }
    case 'executing':
      return { level: 'info', text: 'Approved. The operation was sent once and is still running; reload this page to see its result.' };
    case 'approved':
      // Approved but not started: nothing has gone to ARM yet.
      return { level: 'info', text: 'Approved. The operation has not started yet; reload this page to see its result.' };
    default:
      // Cancelled or expired may also follow no approval at all, so the banner claims none.
      return { level: 'warning', text: `The request is now: ${STATE_LABELS[request.state] ?? request.state}.` };
  }
}
