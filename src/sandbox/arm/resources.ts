import type { Request, Response } from 'express';
import { loadProviderOperationIndex } from '../../rbac/provider-operations.ts';
import { ArmPathError } from '../../rbac/rbac-errors.ts';
import { resolveArmOperation, type ResolvedArmOperation } from '../../rbac/resolve-arm-operation.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { isAllowed, requirePermission } from './arm-authorize.ts';
import { armErrors } from './arm-errors.ts';
import { resourceJson, resourceListEntryJson, vmInstanceView } from './arm-json.ts';
import { pageOf, queryParam } from './arm-paging.ts';
import { patchResource, postAction, scaleAgentPool } from './resource-operations.ts';
import { patchIdentity, putResource } from './resource-put.ts';

/**
 * Generic resources: listing (by resource group, by subscription) and operations on one resource
 * by id. Every call is checked the way ARM's front door checks it — the action derived from the
 * method and path, at the resource's scope — before the sandbox looks the resource up, so a
 * caller without access learns nothing about what exists.
 */

/** The operation ARM checks for the call: the listed one, as Azure's provider operations list names it. */
export function operationAction(method: string, path: string): ResolvedArmOperation {
  try {
    return resolveArmOperation(method, path, loadProviderOperationIndex());
  } catch (err) {
    if (err instanceof ArmPathError) throw armErrors.invalidPath(err.message);
    throw err;
  }
}

const TYPE_FILTER = /^resourceType\s+eq\s+'([A-Za-z0-9./]{3,200})'$/i;

export function listResourcesInGroup(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, subscriptionId: string, resourceGroup: string, path: string): void {
  const s = ctx.state.subscription(subscriptionId);
  if (!s) throw armErrors.subscriptionNotFound(subscriptionId);
  const { action, scope } = operationAction('GET', path);
  requirePermission(ctx, caller, action, scope);
  const g = ctx.state.resourceGroup(s.subscriptionId, resourceGroup);
  if (!g) throw armErrors.resourceGroupNotFound(resourceGroup);
  let items = ctx.state.resourcesIn(g);
  const filter = queryParam(req, '$filter');
  if (filter !== undefined) {
    const m = TYPE_FILTER.exec(filter.trim());
    if (!m) throw armErrors.invalidParameter(`The $filter '${filter.slice(0, 200)}' is not supported; use resourceType eq '{type}'.`);
    items = items.filter((r) => r.type.toLowerCase() === m[1]!.toLowerCase());
  }
  res.json(pageOf(req, ctx.origin, path, items.map(resourceListEntryJson), ctx.pageSize));
}

export function listResourcesInSubscription(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, subscriptionId: string, path: string): void {
  const s = ctx.state.subscription(subscriptionId);
  if (!s) throw armErrors.subscriptionNotFound(subscriptionId);
  const items = ctx.state.resourceGroups
    .filter((g) => g.subscriptionId === s.subscriptionId)
    .flatMap((g) => ctx.state.resourcesIn(g))
    .filter((r) => isAllowed(ctx, caller, `${r.type}/read`, r.id));
  res.json(pageOf(req, ctx.origin, path, items.map(resourceListEntryJson), ctx.pageSize));
}

export function handleResource(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, subscriptionId: string, resourceGroup: string, path: string): void {
  const s = ctx.state.subscription(subscriptionId);
  if (!s) throw armErrors.subscriptionNotFound(subscriptionId);
  const method = req.method.toUpperCase();
  const op = operationAction(method, path);
  requirePermission(ctx, caller, op.action, op.scope);
  if (!ctx.state.resourceGroup(s.subscriptionId, resourceGroup)) throw armErrors.resourceGroupNotFound(resourceGroup);

  const segs = path.split('/');
  // ['', subscriptions, {s}, resourceGroups, {rg}, providers, {ns}, ...type/name pairs]: an even count names a resource
  const pairs = segs.slice(7);
  const namesResource = pairs.length % 2 === 0;
  const targetId = namesResource ? path : segs.slice(0, -1).join('/');
  const target = ctx.state.resource(targetId);
  const notFound = () => armErrors.resourceNotFound(`${segs[6]}/${pairs.filter((_, i) => i % 2 === 0).join('/')}/${pairs.filter((_, i) => i % 2 === 1).join('/')}`, resourceGroup);

  if (method === 'GET' || method === 'HEAD') {
    if (namesResource) {
      if (!target) throw notFound();
      res.json(resourceJson(target, queryParam(req, '$expand')?.toLowerCase() === 'instanceview'));
      return;
    }
    const last = segs[segs.length - 1]!;
    if (target && last.toLowerCase() === 'instanceview' && target.powerState) {
      res.json(vmInstanceView(target));
      return;
    }
    if (target) {
      const children = ctx.state.childrenOf(target.id, last);
      res.json(pageOf(req, ctx.origin, path, children.map((c) => resourceJson(c)), ctx.pageSize));
      return;
    }
    throw notFound();
  }
  if (method === 'PUT' && namesResource && putResource(req, res, caller, ctx, path, op.action, op.scope, s.subscriptionId, resourceGroup)) return;
  if (!target) throw notFound();
  if (method === 'POST' && !namesResource) return postAction(req, res, caller, ctx, target, segs[segs.length - 1]!);
  if (method === 'PATCH' && namesResource) {
    if (req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body)) patchIdentity(ctx, caller, op.action, op.scope, target, (req.body as Record<string, unknown>).identity);
    return patchResource(req, res, target);
  }
  if (method === 'PUT' && namesResource && target.type.toLowerCase() === 'microsoft.containerservice/managedclusters/agentpools') return scaleAgentPool(req, res, target);
  throw armErrors.operationNotSupported(method, target.type);
}
