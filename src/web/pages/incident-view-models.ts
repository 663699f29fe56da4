/**
 * What the incident pages show, built from the incident and what was done about it. Every string
 * in here came from an alert rule, a monitoring tool or an agent: the templates print them with
 * autoescape, never as markup.
 */
import type { IncidentOperation } from '../../incidents/incident-activity.ts';
import type { Incident } from '../../incidents/incident-types.ts';
import { approvalHref } from './approval-view-models.ts';
import { requestHref } from './audit-view-models.ts';

export const incidentHref = (id: string) => `/incidents/${encodeURIComponent(id)}`;

const STATE_LABELS: Record<Incident['state'], string> = { open: 'Open', acknowledged: 'Acknowledged', resolved: 'Resolved' };

export function incidentRow(i: Incident, agentNames: ReadonlyMap<string, string>) {
  return {
    id: i.id,
    href: incidentHref(i.id),
    alertRule: i.alertRule,
    severity: i.severity,
    state: i.state,
    stateLabel: STATE_LABELS[i.state],
    monitorCondition: i.monitorCondition,
    signalType: i.signalType,
    agent: i.agentId ? (agentNames.get(i.agentId) ?? i.agentId) : undefined,
    firedAt: i.firedAt,
    targets: i.targetResourceIds.length,
    firstTarget: i.targetResourceIds[0],
  };
}

function operationModel(o: IncidentOperation) {
  const r = o.request;
  const e = o.execution;
  return {
    id: r.id,
    approvalHref: approvalHref(r.id),
    timelineHref: requestHref(r.id),
    method: r.operation.method,
    path: r.operation.path,
    query: r.operation.query ? Object.entries(r.operation.query).map(([k, v]) => `${k}=${v}`).join('&') : undefined,
    action: r.decision.action,
    outcome: r.decision.outcome,
    runMode: r.decision.runMode,
    state: r.state,
    justification: r.justification,
    createdAt: r.createdAt,
    reviews: o.reviews,
    execution: e
      ? {
          ranAs: e.credentialKind === 'obo' ? 'on-behalf-of elevation' : 'the agent’s managed identity',
          obo: e.credentialKind === 'obo',
          actingIdentity: e.actingIdentity,
          result: e.result,
          armStatus: e.armStatus,
          correlationId: e.armCorrelationId,
          startedAt: e.startedAt,
        }
      : undefined,
  };
}

export function incidentModel(i: Incident, operations: IncidentOperation[], agentNames: ReadonlyMap<string, string>, deliveries: { deliveries: number; repeats: number }) {
  const ops = operations.map(operationModel);
  return {
    ...incidentRow(i, agentNames),
    alertId: i.alertId,
    monitoringService: i.monitoringService,
    description: i.description,
    targetResourceIds: i.targetResourceIds,
    resolvedAt: i.resolvedAt,
    source: i.source,
    stateReason: i.stateReason,
    essentials: JSON.stringify(i.essentials, null, 2),
    alertContext: i.alertContext === undefined ? undefined : JSON.stringify(i.alertContext, null, 2),
    deliveries,
    operations: ops,
    approvals: ops.flatMap((o) => o.reviews.map((r) => ({ ...r, requestId: o.id, approvalHref: o.approvalHref }))),
    elevations: ops.filter((o) => o.execution?.obo).map((o) => ({ requestId: o.id, approver: o.execution!.actingIdentity, action: o.action, result: o.execution!.result, timelineHref: o.timelineHref })),
    auditHref: `/audit?incidentId=${encodeURIComponent(i.id)}`,
  };
}
