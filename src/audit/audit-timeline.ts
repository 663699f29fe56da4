/**
 * What one entry means in a request's story, for the timeline page: the stage, who acted, whose
 * permissions were used, the approver, ARM's correlation id, the discarded token. Pure: an entry
 * in, a description out; the page prints every detail field as well, so nothing is hidden by a
 * field this does not know.
 */
import { ACTING_KIND_LABELS, actingIdentityOfEntry } from './acting-identity.ts';
import type { AuditEntry, JsonObject, JsonValue } from './audit-types.ts';

export type TimelineStage =
  | 'raised'
  | 'decided'
  | 'approved'
  | 'denied'
  | 'executing'
  | 'executed'
  | 'failed'
  | 'arm-request'
  | 'arm-response'
  | 'token-discarded'
  | 'expired'
  | 'cancelled'
  | 'outcome-unknown'
  | 'other';

export interface TimelineItem {
  stage: TimelineStage;
  /** One line for people. */
  summary: string;
  /** Whose permissions were used, and how (managed identity or OBO); `recorded` is an old entry's UAMI principal id. */
  identity?: { id: string; kind: string; recorded?: string };
  /** The approver named by the entry (id, and upn/tid when the entry records them). */
  approver?: { id: string; upn?: string; tid?: string };
  correlationId?: string;
  /** For token-discarded: the SHA-256 of the token's uti, never the token. */
  utiHash?: string;
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: JsonValue | undefined): JsonObject | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined);

function firstString(details: JsonObject, paths: string[][]): string | undefined {
  for (const path of paths) {
    let v: JsonValue | undefined = details;
    for (const key of path) v = obj(v)?.[key];
    const s = str(v);
    if (s !== undefined) return s;
  }
  return undefined;
}

function identityOf(e: AuditEntry): TimelineItem['identity'] {
  const acting = actingIdentityOfEntry(e);
  if (!acting) return undefined;
  return { id: acting.id, kind: ACTING_KIND_LABELS[acting.kind], ...(acting.recorded !== undefined ? { recorded: acting.recorded } : {}) };
}

const TRANSITIONS: Record<string, TimelineStage> = {
  approved: 'approved',
  denied: 'denied',
  executing: 'executing',
  succeeded: 'executed',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
  outcome_unknown: 'outcome-unknown',
};

export function describeEntry(e: AuditEntry): TimelineItem {
  const d = e.details;
  const correlationId = firstString(d, [['correlationId'], ['armCorrelationId']]);
  const item: TimelineItem = { stage: 'other', summary: e.eventType };
  if (correlationId) item.correlationId = correlationId;
  const identity = identityOf(e);
  if (identity) item.identity = identity;
  const approverId = e.approverId ?? firstString(d, [['approver', 'oid']]);
  if (approverId) {
    const approver: NonNullable<TimelineItem['approver']> = { id: approverId };
    const upn = firstString(d, [['approver', 'upn']]);
    const tid = firstString(d, [['approver', 'tid']]);
    if (upn) approver.upn = upn;
    if (tid) approver.tid = tid;
    item.approver = approver;
  }

  if (e.eventType === 'operation.requested') {
    item.stage = 'raised';
    item.summary = `Raised by ${e.actor.name ?? e.actor.id}: ${e.action ?? 'an operation'} (decision: ${e.outcome ?? 'unknown'})`;
  } else if (e.eventType === 'operation.decided' || e.eventType === 'operation.redecided') {
    item.stage = 'decided';
    item.summary = `Decided: ${e.outcome ?? 'unknown'}`;
  } else if (e.eventType === 'operation.transition') {
    item.stage = TRANSITIONS[e.outcome ?? ''] ?? 'other';
    const by = e.actor.name ?? e.actor.id;
    item.summary =
      item.stage === 'executing' && identity
        ? `Execution started with ${identity.kind} ${identity.id}`
        : `${str(d.from) ?? '?'} → ${e.outcome ?? '?'} (${str(d.event) ?? 'transition'} by ${by})`;
  } else if (e.eventType === 'approval.decided') {
    item.stage = 'approved';
    item.summary = `Approved by ${item.approver?.upn ?? item.approver?.id ?? e.actor.name ?? e.actor.id}${str(d.kind) ? ` (${str(d.kind)})` : ''}`;
  } else if (e.eventType === 'approval.obo.started') {
    item.stage = 'decided';
    item.summary = `Approval by ${item.approver?.upn ?? item.approver?.id ?? e.actor.id} completes the request: exchanging their token (on-behalf-of)`;
  } else if (e.eventType === 'approval.recorded') {
    item.stage = 'decided';
    item.summary = `Approval recorded from ${item.approver?.upn ?? e.actor.id}: ${typeof d.counted === 'number' ? d.counted : '?'} of ${typeof d.required === 'number' ? d.required : '?'}`;
  } else if (e.eventType === 'approval.refused') {
    item.summary = `Decision refused for ${item.approver?.upn ?? e.actor.id}: ${str(d.message) ?? str(d.code) ?? 'refused'}`;
  } else if (e.eventType === 'approval.obo.failed') {
    item.stage = 'failed';
    item.summary = `On-behalf-of exchange failed: ${str(d.message) ?? str(d.code) ?? 'unknown error'}`;
  } else if (e.eventType === 'approval.sign-in.started') {
    item.summary = `Fresh sign-in requested from ${item.approver?.upn ?? e.actor.id}`;
  } else if (e.eventType === 'arm.request') {
    item.stage = 'arm-request';
    item.summary = `Sent to ARM as ${identity ? `${identity.kind} ${identity.id}` : 'an unrecorded identity'}`;
  } else if (e.eventType === 'arm.response') {
    item.stage = 'arm-response';
    item.summary = `ARM answered ${e.outcome ?? '?'}`;
  } else if (e.eventType === 'operation.execution.taken_over') {
    item.summary = `Execution taken over by instance ${str(d.toInstance) ?? '?'} from ${str(d.fromInstance) ? `instance ${str(d.fromInstance)}, which is no longer alive` : 'a process that named no instance'}`;
  } else if (e.eventType === 'operation.execution.late_result') {
    item.summary = `ARM answered ${str(d.observed) ?? '?'}${typeof d.status === 'number' ? ` (${d.status})` : ''} after the request had been ended as ${str(d.endedAs) ?? '?'} elsewhere; the state stays, the answer is kept here`;
  } else if (e.eventType === 'token.discarded') {
    item.stage = 'token-discarded';
    const utiHash = firstString(d, [['tokenUtiSha256'], ['utiHash']]);
    if (utiHash) item.utiHash = utiHash;
    item.summary = `On-behalf-of token discarded${item.approver ? ` (approver ${item.approver.upn ?? item.approver.id})` : ''}${str(d.reason) === 'process_end' ? ': the service stopped while holding it' : ''}`;
  }
  return item;
}
