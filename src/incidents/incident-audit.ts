/**
 * The audit entries of the incidents capability. The incident id is the entry's `subject`, so the
 * auditor's "filter by incident" finds the incident's own events by subject and the operations
 * tied to it by their request ids (audit-query.ts).
 */
import type { AuditActor, AuditInput, JsonObject } from '../audit/audit-types.ts';
import type { Alert } from './alert-schema.ts';
import type { Incident } from './incident-types.ts';

export const INCIDENT_AUDIT_EVENTS = {
  opened: 'incident.opened',
  acknowledged: 'incident.acknowledged',
  resolved: 'incident.resolved',
  /** a repeated delivery (same alert id and monitor condition): collapsed per alert per minute */
  repeated: 'incident.alert.repeated',
  /** an unauthenticated or malformed delivery: collapsed per caller and reason per minute */
  refused: 'incident.alert.refused',
} as const;

export const ACTION_GROUP_ACTOR_NAME = 'Azure Monitor action group';

export function senderActor(source: string, callerId: string): AuditActor {
  return { kind: 'service', id: callerId, name: source === 'secure-webhook' ? ACTION_GROUP_ACTOR_NAME : source };
}

function alertDetails(alert: Alert, source: string): JsonObject {
  const d: JsonObject = {
    alertId: alert.alertId,
    alertRule: alert.alertRule,
    severity: alert.severity,
    signalType: alert.signalType,
    monitoringService: alert.monitoringService,
    monitorCondition: alert.monitorCondition,
    targetResourceIds: alert.targetResourceIds,
    firedAt: alert.firedAt,
    source,
  };
  if (alert.resolvedAt) d.resolvedAt = alert.resolvedAt;
  return d;
}

/** The first delivery of an alert: Fired opens the incident, Resolved resolves it (or opens it resolved). */
export function deliveryEntry(kind: 'opened' | 'resolved', actor: AuditActor, incidentId: string, agentId: string | undefined, alert: Alert, source: string): AuditInput {
  return {
    actor,
    eventType: kind === 'opened' ? INCIDENT_AUDIT_EVENTS.opened : INCIDENT_AUDIT_EVENTS.resolved,
    subject: incidentId,
    agentId: agentId ?? null,
    scope: alert.targetResourceIds[0] ?? null,
    outcome: kind === 'opened' ? 'open' : 'resolved',
    details: { incidentId, ...alertDetails(alert, source), ...(kind === 'resolved' ? { by: 'monitor_condition' } : {}) },
  };
}

export function repeatedEntry(actor: AuditActor, incident: Incident, alert: Alert, deliveryKey: string): AuditInput {
  return {
    actor,
    eventType: INCIDENT_AUDIT_EVENTS.repeated,
    subject: incident.id,
    agentId: incident.agentId ?? null,
    outcome: 'duplicate',
    details: { incidentId: incident.id, reason: deliveryKey, alertId: alert.alertId, monitorCondition: alert.monitorCondition },
  };
}

export function refusedEntry(actor: AuditActor, status: number, code: string, message: string, extra: JsonObject = {}): AuditInput {
  return {
    actor,
    eventType: INCIDENT_AUDIT_EVENTS.refused,
    outcome: status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'refused',
    details: { reason: code, status, message, ...extra },
  };
}

/** An executed changestate of the incident's alert moved it. */
export function stateChangedEntry(incident: Incident, to: 'acknowledged' | 'resolved', requestId: string, actor: AuditActor): AuditInput {
  return {
    actor,
    eventType: to === 'acknowledged' ? INCIDENT_AUDIT_EVENTS.acknowledged : INCIDENT_AUDIT_EVENTS.resolved,
    subject: incident.id,
    agentId: incident.agentId ?? null,
    requestId,
    outcome: to,
    details: { incidentId: incident.id, alertId: incident.alertId, from: incident.state, to, by: 'operation', requestId },
  };
}
