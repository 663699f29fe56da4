/**
 * The words every channel shows for an event (pure): a title, the facts as label/value pairs, the
 * time left and the deep link. Channels differ only in how they render and escape these.
 * Values marked `untrusted` came from the agent; renderers escape them for their format.
 */
import type { NotificationEvent } from './notification-event.ts';

export interface SummaryFact {
  label: string;
  value: string;
  untrusted?: boolean;
}

export interface NotificationSummary {
  title: string;
  /** one line for previews (email subject, Slack fallback text, Teams notification) */
  headline: string;
  facts: SummaryFact[];
  /** the request page, or the page an event is about */
  link?: string | undefined;
  linkLabel?: string | undefined;
}

const TITLES: Record<NotificationEvent['type'], string> = {
  'request.raised': 'Approval needed',
  'approval.recorded': 'Approval recorded, more needed',
  'request.executed': 'Operation executed',
  'request.failed': 'Operation failed',
  'request.denied': 'Request denied',
  'request.expired': 'Request expired',
  'drift.found': 'Role drift found',
  'audit.verification_failed': 'Audit log verification failed',
};

/**
 * An ARM path as a reader scans it: the resource group (or subscription), then the last type/name
 * pair and a trailing action, "…" for what was left out. The full path is in the action + scope.
 */
export function shortenArmPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'subscriptions') return path.length > 120 ? `${path.slice(0, 119)}…` : path;
  let rest = parts.slice(2);
  let head = `subscription ${parts[1]!.slice(0, 8)}…`;
  if (rest[0]?.toLowerCase() === 'resourcegroups' && rest[1] !== undefined) {
    head = rest[1];
    rest = rest.slice(2);
  }
  if (rest[0]?.toLowerCase() === 'providers') rest = rest.slice(2);
  if (rest.length <= 3) return [head, ...rest].join('/');
  const tail = rest.length % 2 === 1 ? rest.slice(-3) : rest.slice(-2);
  return `${head}/…/${tail.join('/')}`;
}

/** "42 min left", "1 h 5 min left", "expired"; undefined when the event has no deadline. */
export function timeLeft(expiresAt: string | undefined, now: Date): string | undefined {
  if (!expiresAt) return undefined;
  const ms = Date.parse(expiresAt) - now.getTime();
  if (Number.isNaN(ms)) return undefined;
  if (ms <= 0) return 'expired';
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return `${minutes} min left`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h left` : `${h} h ${m} min left`;
}

export function requestLink(baseUrl: string, requestId: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/approvals/${encodeURIComponent(requestId)}`;
}

export function summarise(event: NotificationEvent, baseUrl: string, now: Date): NotificationSummary {
  const title = TITLES[event.type];
  const facts: SummaryFact[] = [];
  const r = event.request;
  if (r) {
    const agent = r.agentName ? `${r.agentName} (${r.agentId})` : r.agentId;
    facts.push({ label: 'Agent', value: agent });
    facts.push({ label: 'Operation', value: `${r.method} ${shortenArmPath(r.path)}` });
    facts.push({ label: 'Action', value: r.action });
    if (r.approvalKind) facts.push({ label: 'Needs', value: r.approvalKind === 'elevation' ? 'elevation (an approver signs in; Elevate acts with their Azure permissions)' : 'consent (runs with the agent\'s own identity)' });
    facts.push({ label: 'Trigger', value: `${r.triggerKind}, run mode ${r.runMode}` });
    if (r.triggerRef) facts.push({ label: 'Reference', value: r.triggerRef, untrusted: true });
    if (r.body) facts.push({ label: 'Body', value: r.body.keys ? `${r.body.bytes} bytes; keys: ${r.body.keys.join(', ')}` : `${r.body.bytes} bytes (${r.body.kind}${r.body.items !== undefined ? `, ${r.body.items} items` : ''})`, untrusted: true });
    facts.push({ label: 'Justification (from the agent, unverified)', value: r.justification ?? '(none given)', untrusted: r.justification !== undefined });
    if (event.approval) facts.push({ label: 'Approvals', value: `${event.approval.counted} of ${event.approval.required} (latest: ${event.approval.approver})` });
    if (r.stateReason && event.type !== 'request.raised') facts.push({ label: 'Reason', value: r.stateReason, untrusted: true });
    const left = event.type === 'request.raised' || event.type === 'approval.recorded' ? timeLeft(r.expiresAt, now) : undefined;
    if (left) facts.push({ label: 'Time left', value: left });
    const headline = `${title}: ${r.method} ${shortenArmPath(r.path)} by ${r.agentName ?? r.agentId}`;
    return { title, headline, facts, link: requestLink(baseUrl, r.id), linkLabel: event.type === 'request.raised' || event.type === 'approval.recorded' ? 'Review the request' : 'Open the request' };
  }
  if (event.drift) {
    facts.push({ label: 'Agent', value: event.drift.agentName ? `${event.drift.agentName} (${event.drift.agentId})` : event.drift.agentId });
    facts.push({ label: 'Differences', value: String(event.drift.differences) });
    return { title, headline: `${title} for ${event.drift.agentName ?? event.drift.agentId}`, facts, link: `${baseUrl.replace(/\/+$/, '')}/agents/${encodeURIComponent(event.drift.agentId)}`, linkLabel: 'Open the agent' };
  }
  if (event.audit) {
    facts.push({ label: 'Finding', value: event.audit.problem });
    if (event.audit.seq !== undefined) facts.push({ label: 'First bad record', value: String(event.audit.seq) });
    return { title, headline: title, facts, link: `${baseUrl.replace(/\/+$/, '')}/audit`, linkLabel: 'Open the audit log' };
  }
  return { title, headline: title, facts };
}
