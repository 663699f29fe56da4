/**
 * The generic webhook's body (pure apart from the SDK): a CloudEvents 1.0 event in structured
 * mode (`application/cloudevents+json`) built and validated by the `cloudevents` SDK. `data`
 * carries the summarised facts; the agent's text is in fields named as untrusted, JSON-encoded
 * and defanged, for the receiver to treat as such.
 */
import { CloudEvent, HTTP } from 'cloudevents';
import type { NotificationEvent } from './notification-event.ts';
import type { NotificationSummary } from './notification-summary.ts';
import { inertText } from './untrusted-text.ts';

export const CLOUDEVENT_TYPE_PREFIX = 'io.elevate.';

export interface WebhookBody {
  headers: Record<string, string>;
  body: string;
}

export function cloudEventPayload(event: NotificationEvent, summary: NotificationSummary, source: string): WebhookBody {
  const r = event.request;
  const request = r
    ? {
        id: r.id,
        agentId: r.agentId,
        agentName: r.agentName ?? null,
        state: r.state,
        approvalKind: r.approvalKind ?? null,
        method: r.method,
        path: r.path,
        apiVersion: r.apiVersion,
        action: r.action,
        scope: r.scope,
        body: r.body ?? null,
        triggerKind: r.triggerKind,
        runMode: r.runMode,
        expiresAt: r.expiresAt ?? null,
        untrustedJustification: r.justification === undefined ? null : inertText(r.justification),
        untrustedTriggerRef: r.triggerRef === undefined ? null : inertText(r.triggerRef),
      }
    : null;
  const ce = new CloudEvent({
    specversion: '1.0',
    id: event.id,
    type: `${CLOUDEVENT_TYPE_PREFIX}${event.type}`,
    source,
    time: event.occurredAt,
    datacontenttype: 'application/json',
    ...(r ? { subject: r.id } : {}),
    data: {
      title: summary.title,
      link: summary.link ?? null,
      request,
      approval: event.approval ?? null,
      drift: event.drift ?? null,
      audit: event.audit ?? null,
    },
  });
  ce.validate();
  const message = HTTP.structured(ce);
  return { headers: message.headers as Record<string, string>, body: String(message.body) };
}
