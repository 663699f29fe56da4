/**
 * Alerts the sandbox's Azure Monitor has fired (`elevate sandbox fire-alert`), as Alerts
 * Management keeps them: the common-schema essentials, the alert state people and agents change
 * (New, Acknowledged, Closed) and the monitor condition only the monitoring service changes
 * (Fired, Resolved), with a history of every change.
 * https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-overview#alerts-and-state
 */

export type AlertState = 'New' | 'Acknowledged' | 'Closed';
export const ALERT_STATES: readonly AlertState[] = ['New', 'Acknowledged', 'Closed'];

export interface FiredAlert {
  /** lower-case GUID */
  guid: string;
  subscriptionId: string;
  /** the id ARM and the common schema name it by */
  id: string;
  alertRule: string;
  severity: string;
  signalType: string;
  monitoringService: string;
  description: string;
  targetResourceIds: string[];
  alertState: AlertState;
  monitorCondition: 'Fired' | 'Resolved';
  firedAt: string;
  resolvedAt?: string | undefined;
  lastModifiedAt: string;
  lastModifiedBy: string;
  history: Array<{ at: string; by: string; change: string; from: string; to: string; comment?: string | undefined }>;
  /** the alertContext sent with the webhook */
  context: unknown;
}

export class FiredAlerts {
  private readonly byGuid = new Map<string, FiredAlert>();

  add(alert: FiredAlert): void {
    this.byGuid.set(alert.guid, alert);
  }

  get(guid: string): FiredAlert | undefined {
    return this.byGuid.get(guid.toLowerCase());
  }

  all(): FiredAlert[] {
    return [...this.byGuid.values()].sort((a, b) => (a.firedAt < b.firedAt ? 1 : -1));
  }

  changeState(guid: string, to: AlertState, by: string, at: string, comment?: string): FiredAlert | undefined {
    const a = this.get(guid);
    if (!a) return undefined;
    if (a.alertState !== to) a.history.push({ at, by, change: 'StateChange', from: a.alertState, to, ...(comment ? { comment } : {}) });
    a.alertState = to;
    a.lastModifiedAt = at;
    a.lastModifiedBy = by;
    return a;
  }

  resolve(guid: string, at: string): FiredAlert | undefined {
    const a = this.get(guid);
    if (!a) return undefined;
    if (a.monitorCondition !== 'Resolved') a.history.push({ at, by: 'System', change: 'MonitorConditionChange', from: 'Fired', to: 'Resolved' });
    a.monitorCondition = 'Resolved';
    a.resolvedAt = at;
    a.lastModifiedAt = at;
    a.lastModifiedBy = 'System';
    return a;
  }
}
