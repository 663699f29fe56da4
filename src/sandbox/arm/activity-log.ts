import type { Request, Response } from 'express';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { requirePermission } from './arm-authorize.ts';
import { armErrors } from './arm-errors.ts';
import { pageOf, queryParam } from './arm-paging.ts';
import type { ActivityEvent } from '../state/activity-events.ts';

/**
 * GET /subscriptions/{s}/providers/Microsoft.Insights/eventtypes/management/values over the
 * sandbox's activity events (state/activity-events.ts).
 */

function eventJson(e: ActivityEvent): Record<string, unknown> {
  return {
    authorization: { action: e.action, scope: e.scope },
    caller: e.caller,
    channels: 'Operation',
    claims: { 'http://schemas.microsoft.com/identity/claims/objectidentifier': e.callerObjectId },
    correlationId: e.correlationId,
    eventDataId: e.eventDataId,
    eventName: { value: 'EndRequest', localizedValue: 'End request' },
    category: { value: 'Administrative', localizedValue: 'Administrative' },
    eventTimestamp: e.eventTimestamp,
    id: `${e.resourceId}/events/${e.eventDataId}/ticks/${Date.parse(e.eventTimestamp)}`,
    level: e.status === 'Failed' ? 'Error' : 'Informational',
    operationId: e.correlationId,
    operationName: { value: e.action, localizedValue: e.action },
    resourceGroupName: e.resourceGroupName,
    resourceProviderName: { value: e.action.split('/')[0], localizedValue: e.action.split('/')[0] },
    resourceId: e.resourceId,
    status: { value: e.status, localizedValue: e.status },
    subStatus: { value: e.subStatus, localizedValue: e.subStatus },
    submissionTimestamp: e.eventTimestamp,
    subscriptionId: e.subscriptionId,
    properties: { statusCode: String(e.statusCode), httpMethod: e.httpMethod },
  };
}

const FILTER_TERM = /^(resourceGroupName|resourceUri|resourceId|correlationId|caller)\s+eq\s+'([^']{1,1000})'$/i;
const TIME_TERM = /^eventTimestamp\s+(ge|le)\s+'([^']{1,40})'$/i;

export function listActivityLog(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, subscriptionId: string, path: string): void {
  const s = ctx.state.subscription(subscriptionId);
  if (!s) throw armErrors.subscriptionNotFound(subscriptionId);
  requirePermission(ctx, caller, 'Microsoft.Insights/eventtypes/values/read', `/subscriptions/${s.subscriptionId}`);
  let events = ctx.activity.all().filter((e) => e.subscriptionId === s.subscriptionId);
  const filter = queryParam(req, '$filter');
  if (filter) {
    for (const term of filter.split(/\s+and\s+/i)) {
      const t = TIME_TERM.exec(term.trim());
      if (t) {
        const at = Date.parse(t[2]!);
        if (Number.isNaN(at)) throw armErrors.invalidParameter(`The timestamp '${t[2]}' in $filter is not valid.`);
        events = events.filter((e) => (t[1]!.toLowerCase() === 'ge' ? Date.parse(e.eventTimestamp) >= at : Date.parse(e.eventTimestamp) <= at));
        continue;
      }
      const m = FILTER_TERM.exec(term.trim());
      if (!m) throw armErrors.invalidParameter(`The $filter term '${term.slice(0, 200)}' is not supported.`);
      const field = m[1]!.toLowerCase();
      const value = m[2]!.toLowerCase();
      events = events.filter((e) => {
        const v = field === 'resourcegroupname' ? e.resourceGroupName : field === 'correlationid' ? e.correlationId : field === 'caller' ? e.caller : e.resourceId;
        return v !== undefined && (field === 'resourceuri' || field === 'resourceid' ? v.toLowerCase().startsWith(value) : v.toLowerCase() === value);
      });
    }
  }
  events.reverse();
  res.json(pageOf(req, ctx.origin, path, events.map(eventJson), ctx.pageSize));
}
