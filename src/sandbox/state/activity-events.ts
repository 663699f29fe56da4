import { randomUUID } from 'node:crypto';

/**
 * The Azure Activity Log's administrative events for writes, actions and deletes that reached
 * the sandbox's ARM, succeeded or refused, in the shape of
 * GET /subscriptions/{s}/providers/Microsoft.Insights/eventtypes/management/values.
 */
export interface ActivityEvent {
  eventDataId: string;
  correlationId: string;
  eventTimestamp: string;
  subscriptionId: string;
  resourceGroupName: string | undefined;
  resourceId: string;
  action: string;
  scope: string;
  caller: string;
  callerObjectId: string;
  httpMethod: string;
  status: 'Succeeded' | 'Failed' | 'Accepted';
  subStatus: string;
  statusCode: number;
}

export class ActivityLog {
  private readonly events: ActivityEvent[] = [];

  record(e: Omit<ActivityEvent, 'eventDataId' | 'eventTimestamp'>): void {
    this.events.push({ ...e, eventDataId: randomUUID(), eventTimestamp: new Date().toISOString() });
    if (this.events.length > 10_000) this.events.splice(0, this.events.length - 10_000);
  }

  all(): ActivityEvent[] {
    return [...this.events];
  }
}
