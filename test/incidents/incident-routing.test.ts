import { describe, expect, it } from 'vitest';
import { createIncidentTriggerCheck } from '../../src/incidents/incident-trigger-check.ts';
import { agentForTargets, incidentInAgentGroups, resourceGroupsOf } from '../../src/incidents/incident-routing.ts';
import type { Incident } from '../../src/incidents/incident-types.ts';
import { armQueryProblem } from '../../src/operations/arm-query-rules.ts';
import { alertStateChangeOf } from '../../src/incidents/alert-state-operation.ts';

const SUB = 'b1995c7e-f47d-4afd-b2fc-8cf38f44e21d';
const APPS = `/subscriptions/${SUB}/resourceGroups/rg-sre-apps`;
const VMS = `/subscriptions/${SUB}/resourceGroups/rg-sre-vms`;
const ALERT = `${APPS}/providers/Microsoft.AlertsManagement/alerts/0e8c6c3f-1b2a-4c1d-9e2f-3a4b5c6d7e8f/changestate`;

describe('routing an alert to the agent that manages its target', () => {
  it('reads resource groups from targets in any case, ignoring subscription-level targets', () => {
    expect(resourceGroupsOf([`/subscriptions/${SUB}/resourcegroups/RG-SRE-APPS/providers/microsoft.app/containerapps/ca`, `/subscriptions/${SUB}`])).toEqual([APPS.toLowerCase()]);
  });

  it('picks the agent managing the first target group it can, deterministically, or none', () => {
    const agents = [
      { id: 'b', resourceGroupIds: [VMS] },
      { id: 'a', resourceGroupIds: [APPS] },
    ];
    expect(agentForTargets([`${VMS}/providers/x/y/z`, `${APPS}/providers/x/y/z`], agents)).toBe('b');
    expect(agentForTargets([`/subscriptions/${SUB}/resourceGroups/rg-web/providers/x/y/z`], agents)).toBeUndefined();
    expect(agentForTargets([`${APPS}/providers/x/y/z`], [...agents, { id: '0', resourceGroupIds: [APPS] }])).toBe('0');
  });

  it('ties an incident to an agent by its groups', () => {
    expect(incidentInAgentGroups([APPS.toLowerCase()], [APPS])).toBe(true);
    expect(incidentInAgentGroups([APPS.toLowerCase()], [VMS])).toBe(false);
    expect(incidentInAgentGroups([], [APPS])).toBe(false);
  });
});

describe('the incident trigger check', () => {
  const incident = { id: '11111111-2222-4333-8444-555555555555', resourceGroupIds: [APPS.toLowerCase()] } as Incident;
  const check = createIncidentTriggerCheck({ get: async (id) => (id === incident.id ? incident : undefined) });

  it('accepts the agent’s own incident and leaves other triggers alone', async () => {
    expect(await check({ resourceGroupIds: [APPS] }, { kind: 'incident', ref: incident.id.toUpperCase() })).toEqual({ ok: true });
    expect(await check({ resourceGroupIds: [APPS] }, { kind: 'incident' })).toEqual({ ok: true });
    expect(await check({ resourceGroupIds: [APPS] }, { kind: 'chat', ref: 'thread-1' })).toEqual({ ok: true });
  });

  it('refuses unknown, foreign and malformed refs alike', async () => {
    const refusals = await Promise.all([
      check({ resourceGroupIds: [APPS] }, { kind: 'incident', ref: '99999999-2222-4333-8444-555555555555' }),
      check({ resourceGroupIds: [VMS] }, { kind: 'incident', ref: incident.id }),
      check({ resourceGroupIds: [APPS] }, { kind: 'incident', ref: "' OR 1=1 --" }),
    ]);
    for (const r of refusals) expect(r).toMatchObject({ ok: false, field: 'trigger.ref', message: expect.stringContaining('names no incident') });
    // One answer for all three: an agent cannot tell another agent's incident from a missing one.
    expect(new Set(refusals.map((r) => JSON.stringify(r))).size).toBe(1);
  });
});

describe('query parameters of an operation', () => {
  it('requires newState on changestate and allows only ARM’s values', () => {
    expect(armQueryProblem('POST', ALERT, { newState: 'Closed' })).toBeUndefined();
    expect(armQueryProblem('POST', ALERT, undefined)?.path).toBe('query.newState');
    expect(armQueryProblem('POST', ALERT, { newState: 'Deleted' })?.path).toBe('query.newState');
    expect(armQueryProblem('POST', ALERT, { newState: 'Closed', $filter: 'x' })?.path).toBe('query');
  });

  it('refuses a query on every other operation', () => {
    expect(armQueryProblem('POST', `${APPS}/providers/Microsoft.App/containerApps/ca/revisions/r/restart`, { newState: 'Closed' })?.path).toBe('query');
    expect(armQueryProblem('GET', ALERT.replace('/changestate', ''), { newState: 'Closed' })?.path).toBe('query');
    expect(armQueryProblem('GET', `${APPS}/providers/Microsoft.App/containerApps/ca`, undefined)).toBeUndefined();
  });

  it('recognises the changestate of an alert in an operation', () => {
    expect(alertStateChangeOf({ method: 'POST', path: ALERT, query: { newState: 'Acknowledged' } })).toEqual({ alertGuid: '0e8c6c3f-1b2a-4c1d-9e2f-3a4b5c6d7e8f', newState: 'Acknowledged' });
    expect(alertStateChangeOf({ method: 'GET', path: ALERT, query: { newState: 'Closed' } })).toBeUndefined();
    expect(alertStateChangeOf({ method: 'POST', path: ALERT })).toBeUndefined();
  });
});
