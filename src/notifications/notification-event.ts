/**
 * What a notification is about, as plain data (pure). Built from a request change inside its
 * transaction and stored in the outbox; every channel renders it. It carries only what an
 * approver needs to act: the exact operation (method, path, derived action), the agent, the
 * justification (untrusted: each renderer escapes it), the deadline. Never a token, a secret or a
 * body: a body is summarised as its top-level keys and its size.
 */
import type { NotificationEventType } from '../policies/notifications-schema.ts';
import type { RunMode, TriggerKind } from '../policies/policy-types.ts';
import type { OperationRequest, RequestState } from '../operations/operation-types.ts';
import type { RequestChange } from '../operations/request-change-outbox.ts';
import { summariseBody, type BodySummary } from './body-summary.ts';

export type { NotificationEventType };

/** Agent-supplied text is cut to this many characters before it is stored for any channel. */
export const MAX_UNTRUSTED_CHARS = 500;

export interface RequestFacts {
  id: string;
  agentId: string;
  agentName?: string | undefined;
  state: RequestState;
  /** what the approver is asked for (pending requests) */
  approvalKind?: 'consent' | 'elevation' | undefined;
  method: string;
  path: string;
  apiVersion: string;
  action: string;
  scope: string;
  body?: BodySummary | undefined;
  /** untrusted: the agent's words */
  justification?: string | undefined;
  triggerKind: TriggerKind;
  /** untrusted: the agent's incident/chat reference */
  triggerRef?: string | undefined;
  runMode: RunMode;
  expiresAt?: string | undefined;
  /** a short reason the state was reached (Elevate's own text, e.g. an ARM error code) */
  stateReason?: string | undefined;
}

export interface NotificationEvent {
  /** unique per event; the CloudEvents id and the outbox's idempotency key */
  id: string;
  type: NotificationEventType;
  occurredAt: string;
  request?: RequestFacts | undefined;
  approval?: { approver: string; counted: number; required: number } | undefined;
  /** drift.found: the agent whose role assignments differ from its level */
  drift?: { agentId: string; agentName?: string | undefined; differences: number } | undefined;
  /** audit.verification_failed: Elevate's own one-line finding */
  audit?: { problem: string; seq?: number | undefined } | undefined;
}

/** drift.found for an agent, with how many assignments exceed its level. */
export function driftEvent(id: string, at: string, agentId: string, differences: number, agentName?: string): NotificationEvent {
  return { id, type: 'drift.found', occurredAt: at, drift: { agentId, agentName, differences } };
}

/** audit.verification_failed, with Elevate's own one-line finding (never agent text). */
export function auditVerificationEvent(id: string, at: string, problem: string, seq?: number | null): NotificationEvent {
  return { id, type: 'audit.verification_failed', occurredAt: at, audit: { problem: problem.slice(0, 300), ...(seq !== null && seq !== undefined ? { seq } : {}) } };
}

/** Which event a state change is, if any (approved, executing, cancelled are not notified). */
export function eventTypeForState(from: RequestState | null, to: RequestState): NotificationEventType | undefined {
  if (from === null) return to === 'pending_consent' || to === 'pending_elevation' ? 'request.raised' : undefined;
  switch (to) {
    case 'succeeded':
      return 'request.executed';
    case 'failed':
    case 'outcome_unknown':
      return 'request.failed';
    case 'denied':
      return 'request.denied';
    case 'expired':
      return 'request.expired';
    default:
      return undefined;
  }
}

/** Token shapes an agent might paste: a JWT (as the audit log and logger scrub it) or a bearer header value. */
const TOKEN_SHAPES = [/eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi];

/** Agent text as it may be stored for notifications: tokens redacted, cut to MAX_UNTRUSTED_CHARS. */
export function truncateUntrusted(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const redacted = TOKEN_SHAPES.reduce((t, shape) => t.replace(shape, '[redacted token]'), text);
  const chars = [...redacted];
  return chars.length > MAX_UNTRUSTED_CHARS ? `${chars.slice(0, MAX_UNTRUSTED_CHARS - 1).join('')}…` : redacted;
}

export function requestFacts(request: OperationRequest, agentName?: string): RequestFacts {
  const facts: RequestFacts = {
    id: request.id,
    agentId: request.agentId,
    agentName,
    state: request.state,
    approvalKind: request.state === 'pending_consent' ? 'consent' : request.state === 'pending_elevation' ? 'elevation' : undefined,
    method: request.operation.method,
    path: request.operation.path,
    apiVersion: request.operation.apiVersion,
    action: request.decision.action,
    scope: request.decision.scope,
    body: request.operation.body === undefined ? undefined : summariseBody(request.operation.body),
    justification: truncateUntrusted(request.justification),
    triggerKind: request.trigger.kind,
    triggerRef: truncateUntrusted(request.trigger.ref),
    runMode: request.decision.runMode,
    expiresAt: request.expiresAt,
    stateReason: truncateUntrusted(request.stateReason),
  };
  // Undefined fields would only bloat the stored JSON.
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as unknown as RequestFacts;
}

/** The event a request change is, or undefined when the change is not one that is notified. */
export function eventFromChange(change: RequestChange, id: string, agentName?: string): NotificationEvent | undefined {
  if (change.kind === 'approval') {
    if (change.counted >= change.required) return undefined;
    return {
      id,
      type: 'approval.recorded',
      occurredAt: change.at,
      request: requestFacts(change.request, agentName),
      approval: { approver: change.approverUpn, counted: change.counted, required: change.required },
    };
  }
  const type = eventTypeForState(change.from, change.request.state);
  if (!type) return undefined;
  return { id, type, occurredAt: change.at, request: requestFacts(change.request, agentName) };
}
