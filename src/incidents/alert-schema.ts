/**
 * Azure Monitor's common alert schema, as an action group posts it to a webhook. The essentials
 * are what every alert type shares (metric, log search, activity log, ...); `alertContext` depends
 * on the monitoring service and is kept as bounded, uninterpreted JSON.
 * https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema
 *
 * Every string here comes from whoever can reach the intake endpoint (and, through alert rule names
 * and descriptions, from anyone who can edit an alert rule): it is validated for shape and size,
 * stored as data, and rendered escaped. Nothing in it is ever interpreted as an instruction.
 */
import { z } from 'zod';
import { isCleanText } from '../operations/clean-text.ts';
import { jsonBodyProblem } from '../operations/operation-schema.ts';

export const ALERT_LIMITS = {
  /** the whole webhook body; Azure Monitor's payloads are a few KB (a log search alert's results are linked, not inlined) */
  requestBytes: 256 * 1024,
  text: 1024,
  description: 4096,
  targets: 50,
  resourceId: 2048,
} as const;

/** The schema id the common alert schema carries; anything else is another payload format. */
export const COMMON_ALERT_SCHEMA_ID = 'azureMonitorCommonAlertSchema';

/** Sev0 (critical) .. Sev4 (verbose). */
export const SEVERITIES = ['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The monitor condition: whether the condition that raised the alert still holds. */
export const MONITOR_CONDITIONS = ['Fired', 'Resolved'] as const;
export type MonitorCondition = (typeof MONITOR_CONDITIONS)[number];

/** The alert id: `/subscriptions/{sub}/providers/Microsoft.AlertsManagement/alerts/{guid}`. */
export const ALERT_ID = /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/providers\/Microsoft\.AlertsManagement\/alerts\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const text = (max: number) =>
  z
    .string({ error: 'expected a string' })
    .max(max, `must be at most ${max} characters`)
    .refine((s) => isCleanText(s, true), 'must not contain control or invisible formatting characters');

const timestamp = z
  .string({ error: 'expected an ISO 8601 time' })
  .max(40)
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})$/.test(s) && Number.isFinite(Date.parse(s)), 'expected an ISO 8601 UTC time');

const resourceId = z
  .string({ error: 'expected an ARM resource id' })
  .max(ALERT_LIMITS.resourceId, `must be at most ${ALERT_LIMITS.resourceId} characters`)
  // Names may hold plain spaces (alert rules, DNS records); never a query, fragment, percent-encoding or control characters.
  .regex(/^\/subscriptions\/[0-9a-f-]{36}(\/[^/?#%\\\u0000-\u001f\u007f]+)*$/i, 'expected an ARM resource id (/subscriptions/...)');

const boundedJson = z.unknown().superRefine((value, ctx) => {
  const problem = jsonBodyProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * `essentials`: known fields are typed; fields Microsoft adds later (it has added
 * `investigationLink`, `intelligentAlertContext`...) are accepted and ignored rather than refused.
 */
export const essentialsSchema = z.object({
  alertId: z.string({ error: 'expected a string' }).max(200).regex(ALERT_ID, 'expected /subscriptions/{id}/providers/Microsoft.AlertsManagement/alerts/{id}'),
  alertRule: text(ALERT_LIMITS.text).min(1, 'must not be empty'),
  severity: z.enum(SEVERITIES, { error: `expected one of ${SEVERITIES.join(', ')}` }),
  signalType: text(64).min(1, 'must not be empty'),
  monitorCondition: z.enum(MONITOR_CONDITIONS, { error: `expected one of ${MONITOR_CONDITIONS.join(', ')}` }),
  monitoringService: text(128).min(1, 'must not be empty'),
  alertTargetIDs: z.array(resourceId, { error: 'expected an array of ARM resource ids' }).max(ALERT_LIMITS.targets, `must list at most ${ALERT_LIMITS.targets} targets`),
  configurationItems: z.array(text(ALERT_LIMITS.text)).max(ALERT_LIMITS.targets).optional(),
  originAlertId: text(ALERT_LIMITS.text).optional(),
  firedDateTime: timestamp,
  resolvedDateTime: timestamp.optional(),
  description: text(ALERT_LIMITS.description).optional(),
  essentialsVersion: text(16).optional(),
  alertContextVersion: text(16).optional(),
  investigationLink: text(ALERT_LIMITS.resourceId).optional(),
});

export const commonAlertSchema = z.strictObject({
  schemaId: z.literal(COMMON_ALERT_SCHEMA_ID, { error: `expected schemaId ${COMMON_ALERT_SCHEMA_ID} (enable the common alert schema on the action group's webhook)` }),
  data: z.strictObject({
    essentials: essentialsSchema,
    alertContext: boundedJson.optional(),
    customProperties: z.record(z.string().max(256), z.string().max(ALERT_LIMITS.text)).nullable().optional(),
  }),
});

export type CommonAlertPayload = z.infer<typeof commonAlertSchema>;

/** An alert as Elevate keeps it: the essentials, normalised, plus the opaque context. */
export interface Alert {
  /** the full ARM id of the alert */
  alertId: string;
  /** the alert's GUID (last segment of `alertId`), lower case */
  alertGuid: string;
  subscriptionId: string;
  alertRule: string;
  severity: Severity;
  signalType: string;
  monitorCondition: MonitorCondition;
  monitoringService: string;
  targetResourceIds: string[];
  firedAt: string;
  resolvedAt?: string | undefined;
  description?: string | undefined;
  /** the essentials exactly as received (validated), for the incident page */
  essentials: Record<string, unknown>;
  alertContext?: unknown;
}

export type AlertParseResult = { ok: true; alert: Alert } | { ok: false; problems: Array<{ path: string; message: string }> };

const SAFE_KEY = /^[A-Za-z0-9_.$-]{1,64}$/;

/** Parses a webhook body; problems name fields, never echo values. */
export function parseCommonAlert(raw: unknown): AlertParseResult {
  const parsed = commonAlertSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.slice(0, 10).map((i) => ({
        path: i.path.map((k) => (SAFE_KEY.test(String(k)) ? String(k) : '(field)')).join('.'),
        message: i.code === 'unrecognized_keys' ? 'has fields the common alert schema does not define' : i.message,
      })),
    };
  }
  const e = parsed.data.data.essentials;
  const [, subscriptionId, guid] = ALERT_ID.exec(e.alertId)!;
  const alert: Alert = {
    alertId: e.alertId,
    alertGuid: guid!.toLowerCase(),
    subscriptionId: subscriptionId!.toLowerCase(),
    alertRule: e.alertRule,
    severity: e.severity,
    signalType: e.signalType,
    monitorCondition: e.monitorCondition,
    monitoringService: e.monitoringService,
    targetResourceIds: e.alertTargetIDs,
    firedAt: new Date(e.firedDateTime).toISOString(),
    essentials: e as Record<string, unknown>,
  };
  if (e.resolvedDateTime) alert.resolvedAt = new Date(e.resolvedDateTime).toISOString();
  if (e.description) alert.description = e.description;
  if (parsed.data.data.alertContext !== undefined) alert.alertContext = parsed.data.data.alertContext;
  return { ok: true, alert };
}

/**
 * What makes two deliveries the same: Azure Monitor retries a webhook it could not deliver, and an
 * action group can be attached twice; the alert id with its monitor condition is one event.
 */
export function deliveryKey(alert: Pick<Alert, 'alertGuid' | 'monitorCondition'>): string {
  return `${alert.alertGuid}:${alert.monitorCondition}`;
}
