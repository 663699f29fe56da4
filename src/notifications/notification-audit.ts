/**
 * The audit entries of notification delivery: one per attempt (`notification.delivered` or
 * `notification.attempted` for a failed one) and one when a delivery is given up
 * (`notification.dead_lettered`). They name the channel by its policy name and type, never its
 * URL, and carry the error as a status or code, never a response body or payload.
 */
import type { AuditInput } from '../audit/audit-types.ts';
import type { DeliveryResult } from './delivery-result.ts';
import type { OutboxRow } from './outbox-store.ts';

export const NOTIFICATION_AUDIT_EVENTS = {
  attempted: 'notification.attempted',
  delivered: 'notification.delivered',
  deadLettered: 'notification.dead_lettered',
} as const;

const SYSTEM = { kind: 'system' as const, id: 'elevate' };

function base(row: OutboxRow, channelType: string, attempt: number) {
  return {
    actor: SYSTEM,
    subject: row.id,
    requestId: row.requestId,
    agentId: row.event.request?.agentId ?? row.event.drift?.agentId ?? null,
    details: { channel: row.channel, channelType, route: row.route, eventType: row.eventType, eventId: row.eventId, attempt },
  };
}

export function deliveredEntry(row: OutboxRow, channelType: string, attempt: number, status: number | undefined): AuditInput {
  const b = base(row, channelType, attempt);
  return { ...b, eventType: NOTIFICATION_AUDIT_EVENTS.delivered, outcome: 'delivered', details: { ...b.details, ...(status !== undefined ? { status } : {}) } };
}

export function failedAttemptEntry(row: OutboxRow, channelType: string, attempt: number, result: Extract<DeliveryResult, { ok: false }>, nextAttemptAt: string): AuditInput {
  const b = base(row, channelType, attempt);
  return {
    ...b,
    eventType: NOTIFICATION_AUDIT_EVENTS.attempted,
    outcome: 'failed',
    details: { ...b.details, error: result.error, ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}), nextAttemptAt },
  };
}

export function deadLetteredEntry(row: OutboxRow, channelType: string, attempt: number, error: string, why: 'attempts_exhausted' | 'permanent_failure' | 'channel_unavailable'): AuditInput {
  const b = base(row, channelType, attempt);
  return { ...b, eventType: NOTIFICATION_AUDIT_EVENTS.deadLettered, outcome: 'dead_lettered', details: { ...b.details, error, why } };
}
