/**
 * The sandbox's Azure Monitor firing an alert: it records the alert in Alerts Management (so
 * `changestate`, get and list work on it), builds the common-alert-schema payload, gets an access
 * token as the "Azure Monitor Action Group" app for the webhook's app registration (the secure
 * webhook), and POSTs the payload with it, as an action group does.
 * https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema
 * https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups#secure-webhook
 */
import { randomUUID } from 'node:crypto';
import type { TokenIssuer } from '../entra/token-issuer.ts';
import type { Directory } from '../state/directory.ts';
import { ACTION_GROUP_APP_ID } from '../state/first-party-apps.ts';
import type { FiredAlert, FiredAlerts } from '../state/fired-alerts.ts';

export const ALERT_KINDS = ['metric', 'log', 'activity'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface FireAlertInput {
  /** the secure webhook's URL (Elevate's /api/v1/alerts/azure-monitor) */
  webhookUrl: string;
  /** the identifier URI (or client id) of the app registration the webhook names */
  audience: string;
  targetResourceId: string;
  kind?: AlertKind;
  alertRule?: string;
  severity?: string;
  description?: string;
  /** resolve an alert fired before (its GUID) instead of firing a new one */
  resolveAlertId?: string;
}

export interface FireAlertResult {
  alertId: string;
  monitorCondition: 'Fired' | 'Resolved';
  /** what the webhook answered */
  status: number;
  body: unknown;
}

const SIGNALS: Record<AlertKind, { signalType: string; monitoringService: string }> = {
  metric: { signalType: 'Metric', monitoringService: 'Platform' },
  log: { signalType: 'Log', monitoringService: 'Log Alerts V2' },
  activity: { signalType: 'Activity Log', monitoringService: 'Activity Log - Administrative' },
};

function contextFor(kind: AlertKind, target: string, at: string): unknown {
  if (kind === 'metric') {
    return {
      properties: null,
      conditionType: 'SingleResourceMultipleMetricCriteria',
      condition: { windowSize: 'PT5M', allOf: [{ metricName: 'RestartCount', metricNamespace: 'Microsoft.App/containerApps', operator: 'GreaterThan', threshold: '3', timeAggregation: 'Total', dimensions: [], metricValue: 7, webTestName: null }], windowStartTime: at, windowEndTime: at },
    };
  }
  if (kind === 'log') {
    return {
      properties: {},
      conditionType: 'LogQueryCriteria',
      condition: { windowSize: 'PT10M', allOf: [{ searchQuery: 'ContainerAppSystemLogs_CL | where Reason_s == "OOMKilled"', metricMeasureColumn: null, targetResourceTypes: "['Microsoft.App/containerApps']", operator: 'GreaterThan', threshold: '0', timeAggregation: 'Count', dimensions: [], metricValue: 1, failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 } }], windowStartTime: at, windowEndTime: at },
    };
  }
  return { authorization: { action: 'Microsoft.Resources/deployments/write', scope: target }, channels: 'Operation', caller: 'sandbox', correlationId: randomUUID(), eventSource: 'Administrative', eventTimestamp: at, eventDataId: randomUUID(), level: 'Informational', operationName: 'Microsoft.Resources/deployments/write', operationId: randomUUID(), status: 'Succeeded', subStatus: '', submissionTimestamp: at };
}

export function commonSchemaPayload(a: FiredAlert, kind: AlertKind): Record<string, unknown> {
  const essentials: Record<string, unknown> = {
    alertId: a.id,
    alertRule: a.alertRule,
    severity: a.severity,
    signalType: a.signalType,
    monitorCondition: a.monitorCondition,
    monitoringService: a.monitoringService,
    alertTargetIDs: a.targetResourceIds.map((t) => t.toLowerCase()),
    configurationItems: a.targetResourceIds.map((t) => t.split('/').at(-1) ?? t),
    originAlertId: a.guid,
    firedDateTime: a.firedAt,
    description: a.description,
    essentialsVersion: '1.0',
    alertContextVersion: '1.0',
  };
  if (a.resolvedAt) essentials.resolvedDateTime = a.resolvedAt;
  return { schemaId: 'azureMonitorCommonAlertSchema', data: { essentials, alertContext: a.context ?? contextFor(kind, a.targetResourceIds[0] ?? '', a.firedAt), customProperties: null } };
}

export class WebhookSetupError extends Error {
  override name = 'WebhookSetupError';
}

export async function fireAlert(deps: { alerts: FiredAlerts; directory: Directory; issuer: TokenIssuer }, input: FireAlertInput): Promise<FireAlertResult> {
  const sub = /^\/subscriptions\/([0-9a-f-]{36})\//i.exec(input.targetResourceId)?.[1]?.toLowerCase();
  if (!sub) throw new WebhookSetupError('targetResourceId must be an ARM resource id under /subscriptions/{id}/');
  const kind = input.kind ?? 'metric';
  const now = new Date().toISOString();
  let alert: FiredAlert;
  if (input.resolveAlertId) {
    const resolved = deps.alerts.resolve(input.resolveAlertId, now);
    if (!resolved) throw new WebhookSetupError(`the sandbox fired no alert ${input.resolveAlertId.slice(0, 40)}`);
    alert = resolved;
  } else {
    const guid = randomUUID();
    alert = {
      guid,
      subscriptionId: sub,
      id: `/subscriptions/${sub}/providers/Microsoft.AlertsManagement/alerts/${guid}`,
      alertRule: input.alertRule ?? `sandbox ${kind} alert`,
      severity: input.severity ?? 'Sev2',
      ...SIGNALS[kind],
      description: input.description ?? 'Fired by elevate sandbox fire-alert',
      targetResourceIds: [input.targetResourceId],
      alertState: 'New',
      monitorCondition: 'Fired',
      firedAt: now,
      lastModifiedAt: now,
      lastModifiedBy: 'System',
      history: [{ at: now, by: 'System', change: 'AlertCreated', from: '', to: 'New' }],
      context: contextFor(kind, input.targetResourceId, now),
    };
    deps.alerts.add(alert);
  }

  // The secure webhook's token: the action group app's service principal in this tenant, for the
  // named registration, with the app roles that principal was assigned on it.
  const sp = deps.directory.application(ACTION_GROUP_APP_ID);
  if (!sp) throw new WebhookSetupError('the tenant has no service principal for the Azure Monitor Action Group app (461e8683-5575-4561-ac7f-899cc907d62a)');
  const resource = deps.directory.resource(input.audience);
  if (!resource) throw new WebhookSetupError('the webhook names an app registration the tenant does not have');
  const roles = deps.directory.appRolesOf(sp.servicePrincipalId, resource.appId);
  const token = await deps.issuer.appAccessToken({ appId: sp.clientId, principalId: sp.servicePrincipalId, clientAuth: '2', resource, roles }, deps.directory.tenantId);

  const response = await fetch(input.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token.token}` },
    body: JSON.stringify(commonSchemaPayload(alert, kind)),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { alertId: alert.id, monitorCondition: alert.monitorCondition, status: response.status, body };
}
