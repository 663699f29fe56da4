/**
 * Moves an incident when an operation tied to it changes its alert's state at ARM: a succeeded
 * `changestate?newState=Acknowledged` acknowledges it, `Closed` resolves it. Only a request whose
 * trigger names the incident, whose path is the incident's own alert, and which ARM answered with
 * success counts. The change is claimed by compare-and-set first (so two followers never both audit
 * it), then audited; if its audit entry cannot be written the change is undone, so no incident
 * stays moved without one. Readers may see the new state a moment before its entry.
 * (Azure Monitor does not notify the action group of an alert-state change, only of monitor
 * condition changes, so the executed operation is the only signal of a close made through Elevate.)
 * https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-overview#alerts-and-state
 */
import type { AuditSink } from '../operations/request-lifecycle.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import type { Logger } from '../observability/logger.ts';
import { alertStateChangeOf } from './alert-state-operation.ts';
import { stateChangedEntry } from './incident-audit.ts';
import { eventForAlertState, incidentTransition } from './incident-state.ts';
import type { IncidentStore } from './incident-store.ts';

export interface FollowDeps {
  store: IncidentStore;
  audit: AuditSink;
  clock: () => Date;
  notify(agentId: string | undefined, incidentId: string): void;
  logger?: Logger | undefined;
}

export function createIncidentFollower(deps: FollowDeps) {
  /** Resolves to the incident's new state when this request moved it, undefined otherwise. */
  async function onRequestChanged(request: OperationRequest): Promise<string | undefined> {
    if (request.state !== 'succeeded' || request.trigger.kind !== 'incident' || request.trigger.ref === undefined) return undefined;
    const change = alertStateChangeOf(request.operation);
    const event = eventForAlertState(change?.newState);
    if (!change || !event) return undefined;
    const incident = await deps.store.get(request.trigger.ref.toLowerCase());
    if (!incident || !incident.alertId.toLowerCase().endsWith(`/alerts/${change.alertGuid}`)) return undefined;
    const t = incidentTransition(incident.state, event);
    if (!t.ok) return undefined;
    const at = deps.clock().toISOString();
    const reason = `${change.newState} by operation ${request.id}`;
    if (!(await deps.store.setState(incident.id, incident.version, t.to, at, reason))) return undefined;
    try {
      await deps.audit.append(stateChangedEntry(incident, t.to as 'acknowledged' | 'resolved', request.id, { kind: 'system', id: 'elevate', name: 'incident follows its alert' }));
    } catch (err) {
      await deps.store.revertState(incident.id, incident.version + 1, incident).catch(() => undefined);
      deps.logger?.error({ err, incidentId: incident.id, requestId: request.id }, 'audit append failed; the incident state change was undone');
      return undefined;
    }
    deps.notify(incident.agentId, incident.id);
    return t.to;
  }
  return { onRequestChanged };
}
