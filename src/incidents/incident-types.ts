/**
 * The incident resource: an Azure Monitor alert as Elevate records it, the agent it is routed to,
 * and where it stands. The agent API returns it; the pages render it (escaped).
 */
import type { MonitorCondition, Severity } from './alert-schema.ts';
import type { IncidentState } from './incident-state.ts';

export interface Incident {
  id: string;
  /** ARM id of the alert: /subscriptions/{sub}/providers/Microsoft.AlertsManagement/alerts/{guid} */
  alertId: string;
  alertRule: string;
  severity: Severity;
  signalType: string;
  monitoringService: string;
  monitorCondition: MonitorCondition;
  description?: string | undefined;
  targetResourceIds: string[];
  /** the resource groups of the targets, canonical lower-case ids */
  resourceGroupIds: string[];
  /** the agent managing the target resource group; absent when none does */
  agentId?: string | undefined;
  state: IncidentState;
  version: number;
  /** how it arrived: `secure-webhook` (Entra token) or `shared-secret:<source>` */
  source: string;
  essentials: Record<string, unknown>;
  alertContext?: unknown;
  firedAt: string;
  resolvedAt?: string | undefined;
  createdAt: string;
  updatedAt: string;
  stateReason?: string | undefined;
}
