/**
 * Ties an operation to an incident: a submission with `trigger: { kind: 'incident', ref }` must
 * name an incident Elevate recorded, in one of the submitting agent's resource groups. Unknown and
 * foreign incidents get the same answer, so an agent cannot probe for other agents' incidents.
 * A `kind: 'incident'` without `ref` stays what it was before incidents were recorded: the run
 * mode for incidents applies, and no incident is linked.
 */
import type { Agent, OperationTrigger } from '../operations/operation-types.ts';
import { incidentInAgentGroups } from './incident-routing.ts';
import type { Incident } from './incident-types.ts';

export type TriggerCheck = { ok: true } | { ok: false; field: string; message: string };

const INCIDENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createIncidentTriggerCheck(incidents: { get(id: string): Promise<Incident | undefined> }) {
  return async function checkTrigger(agent: Pick<Agent, 'resourceGroupIds'>, trigger: OperationTrigger): Promise<TriggerCheck> {
    if (trigger.kind !== 'incident' || trigger.ref === undefined) return { ok: true };
    const refused: TriggerCheck = { ok: false, field: 'trigger.ref', message: "names no incident in the agent's managed resource groups (use the id from GET /api/v1/incidents)" };
    if (!INCIDENT_ID.test(trigger.ref)) return refused;
    const incident = await incidents.get(trigger.ref.toLowerCase());
    if (!incident || !incidentInAgentGroups(incident.resourceGroupIds, agent.resourceGroupIds)) return refused;
    return { ok: true };
  };
}

export type IncidentTriggerCheck = ReturnType<typeof createIncidentTriggerCheck>;
