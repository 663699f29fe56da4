import type { Request, Response } from 'express';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { hasAnyAccessWithin, isAllowed, requirePermission } from './arm-authorize.ts';
import { armErrors } from './arm-errors.ts';
import { resourceGroupJson, subscriptionJson } from './arm-json.ts';
import { pageOf } from './arm-paging.ts';

/** Subscriptions and resource groups (Microsoft.Resources). */

export function listSubscriptions(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext): void {
  // ARM lists every subscription in which the caller holds some access, at any level
  const visible = ctx.state.subscriptions.filter((s) => hasAnyAccessWithin(ctx, caller, `/subscriptions/${s.subscriptionId}`));
  res.json(pageOf(req, ctx.origin, '/subscriptions', visible.map((s) => subscriptionJson(s, ctx.state.tenantId)), ctx.pageSize));
}

export function getSubscription(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, subscriptionId: string): void {
  const s = ctx.state.subscription(subscriptionId);
  if (!s || !hasAnyAccessWithin(ctx, caller, `/subscriptions/${s.subscriptionId}`)) throw armErrors.subscriptionNotFound(subscriptionId);
  res.json(subscriptionJson(s, ctx.state.tenantId));
}

const RG_READ = 'Microsoft.Resources/subscriptions/resourceGroups/read';

export function listResourceGroups(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, subscriptionId: string, path: string): void {
  const s = ctx.state.subscription(subscriptionId);
  if (!s) throw armErrors.subscriptionNotFound(subscriptionId);
  const subScope = `/subscriptions/${s.subscriptionId}`;
  if (!hasAnyAccessWithin(ctx, caller, subScope)) throw armErrors.authorizationFailed(caller.clientName, caller.principalId, RG_READ, subScope);
  const groups = ctx.state.resourceGroups.filter((g) => g.subscriptionId === s.subscriptionId && isAllowed(ctx, caller, RG_READ, g.id));
  res.json(pageOf(req, ctx.origin, path, groups.map(resourceGroupJson), ctx.pageSize));
}

export function getResourceGroup(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, subscriptionId: string, name: string): void {
  const s = ctx.state.subscription(subscriptionId);
  if (!s) throw armErrors.subscriptionNotFound(subscriptionId);
  const scope = `/subscriptions/${s.subscriptionId}/resourceGroups/${name}`;
  requirePermission(ctx, caller, RG_READ, scope);
  const g = ctx.state.resourceGroup(s.subscriptionId, name);
  if (!g) throw armErrors.resourceGroupNotFound(name);
  res.json(resourceGroupJson(g));
}
