/**
 * Recognises the Alerts Management call that changes an alert's state,
 * `POST {scope}/providers/Microsoft.AlertsManagement/alerts/{alertId}/changestate?newState=...`,
 * in an operation request. Pure.
 * https://learn.microsoft.com/rest/api/monitor/alertsmanagement/alerts/change-state
 */
import type { ArmOperation } from '../operations/operation-types.ts';

const CHANGE_STATE = /\/providers\/Microsoft\.AlertsManagement\/alerts\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/changestate$/i;

export function alertStateChangeOf(op: Pick<ArmOperation, 'method' | 'path' | 'query'>): { alertGuid: string; newState: string } | undefined {
  if (op.method !== 'POST') return undefined;
  const m = CHANGE_STATE.exec(op.path);
  const newState = op.query?.newState;
  if (!m || typeof newState !== 'string') return undefined;
  return { alertGuid: m[1]!.toLowerCase(), newState };
}
