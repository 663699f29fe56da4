/**
 * The incident state machine: open -> acknowledged -> resolved (and open -> resolved). Pure: the
 * store applies a transition with a compare-and-set on the version it read.
 *
 * What moves an incident:
 * - `fired`: the webhook with monitorCondition Fired opened it (the first delivery creates it);
 * - `acknowledged`: the agent's `changestate?newState=Acknowledged` of the incident's alert ran
 *   (an operation tied to the incident that succeeded at ARM);
 * - `closed`: the agent's `changestate?newState=Closed` ran;
 * - `monitor_resolved`: the webhook with monitorCondition Resolved (the condition cleared).
 * Azure Monitor sends no notification when someone changes an alert's state (Acknowledged,
 * Closed): only monitor-condition changes reach the action group. So the executed operation is
 * what moves the incident for a close, and the resolved webhook for a condition that cleared.
 * https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-overview#alerts-and-state
 */

export const INCIDENT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

export type IncidentEvent = 'acknowledged' | 'closed' | 'monitor_resolved';

export type IncidentTransition = { ok: true; to: IncidentState } | { ok: false; reason: 'unchanged' | 'invalid'; message: string };

export function isIncidentState(value: unknown): value is IncidentState {
  return typeof value === 'string' && (INCIDENT_STATES as readonly string[]).includes(value);
}

export function incidentTransition(from: IncidentState, event: IncidentEvent): IncidentTransition {
  if (!isIncidentState(from)) return { ok: false, reason: 'invalid', message: 'unknown incident state' };
  switch (event) {
    case 'acknowledged':
      if (from === 'open') return { ok: true, to: 'acknowledged' };
      if (from === 'acknowledged') return { ok: false, reason: 'unchanged', message: 'already acknowledged' };
      return { ok: false, reason: 'invalid', message: 'a resolved incident is not acknowledged again' };
    case 'closed':
    case 'monitor_resolved':
      if (from === 'resolved') return { ok: false, reason: 'unchanged', message: 'already resolved' };
      return { ok: true, to: 'resolved' };
    default:
      return { ok: false, reason: 'invalid', message: 'unknown incident event' };
  }
}

/** The alert state a `changestate` asks for, mapped to the incident event it causes. */
export function eventForAlertState(newState: string | undefined): IncidentEvent | undefined {
  if (newState === 'Acknowledged') return 'acknowledged';
  if (newState === 'Closed') return 'closed';
  return undefined;
}
