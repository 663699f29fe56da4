/**
 * Alerts Management for the alerts the sandbox has fired: list, get and changestate, at a
 * subscription, resource group or resource scope, with ARM's shapes. The front-door RBAC check
 * comes first (alerts/read, alerts/changestate/action at the request's scope), so a caller
 * without access learns nothing about which alerts exist.
 * https://learn.microsoft.com/rest/api/monitor/alertsmanagement/alerts
 * https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-overview#alerts-and-state
 */
import type { Request, Response } from 'express';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { requirePermission } from './arm-authorize.ts';
import { armErrors } from './arm-errors.ts';
import { pageOf, queryParam } from './arm-paging.ts';
import type { ArmRoute } from './arm-route.ts';
import { operationAction } from './resources.ts';
import { ALERT_STATES, type AlertState, type FiredAlert, type FiredAlerts } from '../state/fired-alerts.ts';

type AlertsRoute = Extract<ArmRoute, { kind: 'alerts' }>;

/** Whether the alert is visible at `scope`: its subscription, or its target (or what contains it). */
function inScope(a: FiredAlert, scope: string): boolean {
  const s = scope.toLowerCase();
  if (s === `/subscriptions/${a.subscriptionId}`) return true;
  return a.targetResourceIds.some((t) => {
    const id = t.toLowerCase();
    return id === s || id.startsWith(`${s}/`);
  });
}

export function alertJson(a: FiredAlert): Record<string, unknown> {
  const target = a.targetResourceIds[0] ?? '';
  const parts = target.split('/');
  const providers = parts.findIndex((p) => p.toLowerCase() === 'providers');
  return {
    properties: {
      essentials: {
        severity: a.severity,
        signalType: a.signalType,
        alertState: a.alertState,
        monitorCondition: a.monitorCondition,
        targetResource: target,
        targetResourceName: parts.at(-1) ?? '',
        targetResourceGroup: parts[4] ?? '',
        targetResourceType: providers > 0 ? parts.slice(providers + 1, providers + 3).join('/') : '',
        monitorService: a.monitoringService,
        alertRule: a.alertRule,
        sourceCreatedId: a.guid,
        smartGroupId: null,
        smartGroupingReason: null,
        startDateTime: a.firedAt,
        lastModifiedDateTime: a.lastModifiedAt,
        monitorConditionResolvedDateTime: a.resolvedAt ?? null,
        lastModifiedUserName: a.lastModifiedBy,
        actionStatus: { isSuppressed: false },
        description: a.description,
      },
      context: a.context ?? {},
      egressConfig: {},
    },
    id: a.id,
    type: 'Microsoft.AlertsManagement/alerts',
    name: a.alertRule,
  };
}

export function handleAlerts(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, alerts: FiredAlerts, route: AlertsRoute, path: string): void {
  const method = req.method.toUpperCase();
  if (!ctx.state.subscription(route.subscriptionId)) throw armErrors.subscriptionNotFound(route.subscriptionId);
  if (route.alertId === undefined) {
    if (method !== 'GET') throw armErrors.operationNotSupported(method, 'Microsoft.AlertsManagement/alerts');
    requirePermission(ctx, caller, 'Microsoft.AlertsManagement/alerts/read', route.scope);
    const state = queryParam(req, 'alertState');
    const items = alerts.all().filter((a) => inScope(a, route.scope) && (state === undefined || a.alertState === state));
    res.json(pageOf(req, ctx.origin, path, items.map(alertJson), ctx.pageSize));
    return;
  }
  const action = route.action?.toLowerCase();
  if (action !== undefined && action !== 'changestate') throw armErrors.invalidPath(`The path '${path.slice(0, 300)}' is not an operation the sandbox's Alerts Management implements.`);
  if (action === undefined && method !== 'GET') throw armErrors.operationNotSupported(method, 'Microsoft.AlertsManagement/alerts');
  if (action === 'changestate' && method !== 'POST') throw armErrors.operationNotSupported(method, 'Microsoft.AlertsManagement/alerts/changestate');
  const { action: rbacAction, scope } = operationAction(method, path);
  requirePermission(ctx, caller, rbacAction, scope);
  const alert = alerts.get(route.alertId);
  if (!alert || !inScope(alert, route.scope)) throw armErrors.alertNotFound(route.alertId.slice(0, 100));
  if (action === undefined) {
    res.json(alertJson(alert));
    return;
  }
  const newState = queryParam(req, 'newState');
  if (newState === undefined || !(ALERT_STATES as readonly string[]).includes(newState)) {
    throw armErrors.invalidParameter(`The value of newState must be one of ${ALERT_STATES.join(', ')}.`);
  }
  const body = req.body as { comment?: unknown } | undefined;
  const comment = body && typeof body === 'object' && typeof body.comment === 'string' ? body.comment.slice(0, 4096) : undefined;
  const changed = alerts.changeState(alert.guid, newState as AlertState, caller.clientName, new Date().toISOString(), comment)!;
  res.json(alertJson(changed));
}
