/**
 * The alert intake use case: an authenticated sender's webhook body becomes an incident (or a
 * counted repeat), audited before it is stored; anything else is refused with a 4xx, audited
 * through the refusal-collapsing sink, and changes nothing.
 * https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema
 * https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups#secure-webhook
 */
import { randomUUID } from 'node:crypto';
import type { AuditSink } from '../operations/request-lifecycle.ts';
import type { Logger } from '../observability/logger.ts';
import { deliveryKey, parseCommonAlert } from './alert-schema.ts';
import { deliveryEntry, refusedEntry, repeatedEntry, senderActor } from './incident-audit.ts';
import { agentForTargets, resourceGroupsOf, type RoutableAgent } from './incident-routing.ts';
import type { IncidentStore } from './incident-store.ts';
import type { Incident } from './incident-types.ts';
import type { SenderAuthResult } from './secure-webhook-auth.ts';

export interface AlertIntakeDeps {
  store: IncidentStore;
  /** the audit log: what opens or resolves an incident is recorded here first */
  audit: AuditSink;
  /** refusals and repeats: a sink that collapses floods (collapsingAudit) */
  refusalAudit: AuditSink;
  agents: { list(): Promise<RoutableAgent[]> };
  /** wakes the agent's long-poll for new incidents */
  notify(agentId: string | undefined): void;
  clock: () => Date;
  newId?: () => string;
  logger?: Logger | undefined;
}

export type IntakeResult =
  | { ok: true; status: 200 | 201; value: { incidentId: string; state: Incident['state']; duplicate: boolean } }
  | { ok: false; status: 400 | 401 | 403 | 409 | 413 | 415 | 503; error: { code: string; message: string; fields?: Array<{ path: string; message: string }> } };

export function createAlertIntake(deps: AlertIntakeDeps) {
  const newId = deps.newId ?? randomUUID;

  async function refuse(status: 400 | 401 | 403 | 409 | 413 | 415 | 503, code: string, message: string, who: string, fields?: Array<{ path: string; message: string }>): Promise<IntakeResult> {
    if (status !== 503) {
      try {
        await deps.refusalAudit.append(refusedEntry({ kind: 'service', id: who }, status, code, message, fields ? { fields: fields.map((f) => `${f.path}: ${f.message}`) } : {}));
      } catch (err) {
        deps.logger?.error({ err, code }, 'audit append of an alert refusal failed');
        // The refusal stands either way; an unauthenticated caller learns nothing about the log.
      }
    }
    return { ok: false, status, error: { code, message, ...(fields ? { fields } : {}) } };
  }

  function refuseForeign(who: string): Promise<IntakeResult> {
    return refuse(409, 'alert_source_mismatch', 'this alert is recorded from another source; only the source that sent it may update it', who);
  }

  /** `who` for refusals before authentication: `ip:<address>`. */
  async function receive(auth: SenderAuthResult, raw: unknown, who: string): Promise<IntakeResult> {
    if (!auth.ok) return refuse(auth.status, auth.code, auth.message, auth.callerId ?? who);
    const parsed = parseCommonAlert(raw);
    if (!parsed.ok) return refuse(400, 'invalid_alert', 'the body is not an Azure Monitor common alert schema payload', auth.callerId, parsed.problems);
    const alert = parsed.alert;
    const actor = senderActor(auth.source, auth.callerId);
    const key = deliveryKey(alert);
    const at = deps.clock().toISOString();

    const existing = await deps.store.byAlertGuid(alert.alertGuid);
    // An alert's GUID is no secret (it is in the alert's id): a source may update only the alerts
    // it sent, or a low-trust tool holding a shared secret could resolve one Azure Monitor opened.
    if (existing && existing.source !== auth.source) return refuseForeign(auth.callerId);
    const agentId = existing ? existing.agentId : agentForTargets(alert.targetResourceIds, await deps.agents.list());
    const resourceGroupIds = existing ? existing.resourceGroupIds : resourceGroupsOf(alert.targetResourceIds);
    const id = existing?.id ?? newId();
    const firstOfKind = !existing || (alert.monitorCondition === 'Resolved' && existing.monitorCondition !== 'Resolved');
    if (firstOfKind) {
      // No audit entry, no incident.
      try {
        await deps.audit.append(deliveryEntry(alert.monitorCondition === 'Fired' ? 'opened' : 'resolved', actor, id, agentId, alert, auth.source));
      } catch (err) {
        deps.logger?.error({ err, alertId: alert.alertId }, 'audit append failed; the alert was not recorded');
        return { ok: false, status: 503, error: { code: 'audit_unavailable', message: 'the audit log is unavailable; the alert was not recorded (Azure Monitor retries)' } };
      }
    }
    const outcome = await deps.store.recordDelivery({ key, alert, newId: id, agentId, resourceGroupIds, source: auth.source, at });
    if (outcome.kind === 'foreign') return refuseForeign(auth.callerId);
    if (outcome.kind === 'repeat') {
      await deps.refusalAudit.append(repeatedEntry(actor, outcome.incident, alert, key)).catch((err: unknown) => deps.logger?.error({ err }, 'audit append of a repeated alert failed'));
      return { ok: true, status: 200, value: { incidentId: outcome.incident.id, state: outcome.incident.state, duplicate: true } };
    }
    deps.logger?.info({ incidentId: outcome.incident.id, agentId: outcome.incident.agentId, state: outcome.incident.state, severity: alert.severity }, 'alert recorded');
    deps.notify(outcome.incident.agentId);
    return { ok: true, status: outcome.kind === 'new' ? 201 : 200, value: { incidentId: outcome.incident.id, state: outcome.incident.state, duplicate: false } };
  }

  return { receive, refuse };
}

export type AlertIntake = ReturnType<typeof createAlertIntake>;
