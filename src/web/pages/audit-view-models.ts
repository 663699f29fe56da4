/**
 * What the audit templates receive: plain values only (nunjucks escapes them), links built here
 * with URLSearchParams so no filter value ever lands in a URL unencoded.
 */
import { ACTING_KIND_LABELS, actingIdentityOfEntry } from '../../audit/acting-identity.ts';
import { canonicalEntryJson, recomputedHash } from '../../audit/audit-canonical.ts';
import type { AuditOrder } from '../../audit/audit-cursor.ts';
import { SEARCH_PARAMS, searchToParams, type AuditSearch } from '../../audit/audit-search.ts';
import { describeEntry, type TimelineItem } from '../../audit/audit-timeline.ts';
import type { AuditEntry } from '../../audit/audit-types.ts';

export interface EntryRow {
  seq: number;
  href: string;
  ts: string;
  eventType: string;
  actor: string;
  agentId: string | null;
  action: string | null;
  scope: string | null;
  outcome: string | null;
  actingIdentity: string | null;
  approverId: string | null;
  requestId: string | null;
  requestHref: string | null;
  /** The actor's name and id apart, so the table shows the name with the id beside it. */
  actorName: string | null;
  actorId: string;
  /** The agent's registry name, beside its id. */
  agentName: string | null;
  /** The approver's UPN as the entry records it, beside their object id. */
  approverUpn: string | null;
}

/** Agent id (lower-case) to name, from the registry, for showing names beside ids. */
export type AgentNames = ReadonlyMap<string, string>;

const sameId = (a: string | null | undefined, b: string | null | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** The approver's UPN: recorded in the details (approval entries), or the acting user's name when the approver is the actor. */
export function approverUpnOf(e: AuditEntry): string | null {
  if (!e.approverId) return null;
  const approver = e.details.approver;
  if (approver && typeof approver === 'object' && !Array.isArray(approver) && typeof approver.upn === 'string' && approver.upn !== '') return approver.upn;
  if (e.actor.kind === 'user' && sameId(e.actor.id, e.approverId) && e.actor.name) return e.actor.name;
  return null;
}

/** The agent's name: the registry's, or the entry's own when the agent is the actor. */
export function agentNameOf(e: AuditEntry, names: AgentNames = new Map()): string | null {
  if (!e.agentId) return null;
  return names.get(e.agentId.toLowerCase()) ?? (e.actor.kind === 'agent' && sameId(e.actor.id, e.agentId) ? e.actor.name : null);
}

export const entryHref = (seq: number) => `/audit/entries/${seq}`;
export const requestHref = (requestId: string) => `/audit/requests/${encodeURIComponent(requestId)}`;

/** Whose permissions were used, read (old entries' UAMI principal ids shown as the agent's managed identity). */
export function actingIdentityText(e: AuditEntry): string | null {
  const acting = actingIdentityOfEntry(e);
  if (!acting) return null;
  const recorded = acting.recorded !== undefined ? `, recorded as ${acting.recorded}` : '';
  return `${acting.id} (${ACTING_KIND_LABELS[acting.kind]}${recorded})`;
}

export function entryRow(e: AuditEntry, names: AgentNames = new Map()): EntryRow {
  return {
    seq: e.seq,
    href: entryHref(e.seq),
    ts: e.ts,
    eventType: e.eventType,
    actor: e.actor.name ? `${e.actor.name} (${e.actor.id})` : e.actor.id,
    agentId: e.agentId,
    action: e.action,
    scope: e.scope,
    outcome: e.outcome,
    actingIdentity: actingIdentityText(e),
    approverId: e.approverId,
    requestId: e.requestId,
    requestHref: e.requestId ? requestHref(e.requestId) : null,
    actorName: e.actor.name,
    actorId: e.actor.id,
    agentName: agentNameOf(e, names),
    approverUpn: approverUpnOf(e),
  };
}

/** The form's current values: what the user typed, as the parser normalised it. */
export function filterValues(search: AuditSearch): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of SEARCH_PARAMS) values[name] = search[name] ?? '';
  return values;
}

export function listHref(search: AuditSearch, extra: Record<string, string> = {}): string {
  const params = searchToParams(search);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  const q = params.toString();
  return q ? `/audit?${q}` : '/audit';
}

export function exportHref(search: AuditSearch, format: 'jsonl' | 'csv', order: AuditOrder): string {
  const params = searchToParams(search);
  params.set('format', format);
  if (order !== 'desc') params.set('order', order);
  return `/audit/export?${params.toString()}`;
}

export interface EntryModel {
  entry: AuditEntry;
  agentName: string | null;
  approverUpn: string | null;
  canonicalJson: string;
  hashMatches: boolean;
  detailsJson: string;
  /** The acting identity as read (kind, and an old entry's recorded value). */
  actingIdentity: string | null;
  prevHref: string | null;
  nextHref: string;
  requestHref: string | null;
}

export function entryModel(e: AuditEntry, names: AgentNames = new Map()): EntryModel {
  return {
    entry: e,
    agentName: agentNameOf(e, names),
    approverUpn: approverUpnOf(e),
    canonicalJson: canonicalEntryJson(e),
    hashMatches: recomputedHash(e) === e.hash,
    detailsJson: JSON.stringify(e.details, null, 2),
    actingIdentity: actingIdentityText(e),
    prevHref: e.seq > 1 ? entryHref(e.seq - 1) : null,
    nextHref: entryHref(e.seq + 1),
    requestHref: e.requestId ? requestHref(e.requestId) : null,
  };
}

export interface TimelineRow extends TimelineItem {
  seq: number;
  href: string;
  ts: string;
  eventType: string;
  actor: string;
  outcome: string | null;
  details: Array<{ key: string; value: string }>;
}

export function timelineRows(entries: readonly AuditEntry[]): TimelineRow[] {
  return entries.map((e) => ({
    ...describeEntry(e),
    seq: e.seq,
    href: entryHref(e.seq),
    ts: e.ts,
    eventType: e.eventType,
    actor: e.actor.name ? `${e.actor.name} (${e.actor.id})` : e.actor.id,
    outcome: e.outcome,
    details: Object.entries(e.details).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
  }));
}

/** The request's key facts, gathered across its entries for the timeline's summary box. */
export function timelineSummary(rows: readonly TimelineRow[]) {
  const first = <K extends keyof TimelineRow>(k: K) => rows.find((r) => r[k] !== undefined)?.[k];
  return {
    approver: rows.find((r) => r.approver && (r.stage === 'approved' || r.stage === 'token-discarded'))?.approver ?? first('approver'),
    executedAs: rows.find((r) => r.stage === 'executing' || r.stage === 'arm-request')?.identity,
    correlationId: first('correlationId'),
    tokenDiscarded: rows.some((r) => r.stage === 'token-discarded'),
  };
}
