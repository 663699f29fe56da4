import { randomUUID } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { listActivityLog } from './activity-log.ts';
import { handleAlerts } from './alerts.ts';
import { authenticateArmRequest } from './arm-authentication.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { ArmError, armErrors } from './arm-errors.ts';
import { queryParam } from './arm-paging.ts';
import { apiVersionProblem, apiVersionTarget } from './api-versions.ts';
import { classifyArmPath, type ArmRoute } from './arm-route.ts';
import { operationKindOf } from './arm-throttling.ts';
import { getDenyAssignment, listDenyAssignments } from './deny-assignments.ts';
import { getManagementGroup, listDescendants, listManagementGroups } from './management-groups.ts';
import { getOperationStatus } from './operation-status.ts';
import { listPermissions } from './permissions.ts';
import { handleResource, listResourcesInGroup, listResourcesInSubscription, operationAction } from './resources.ts';
import { cancelScheduleRequest, createScheduleRequest, getSchedule, getScheduleRequest, listScheduleRequests, listSchedules } from './role-assignment-schedules.ts';
import { createRoleAssignment, deleteRoleAssignment, getRoleAssignment, listRoleAssignments } from './role-assignments.ts';
import { getRoleDefinition, listRoleDefinitions } from './role-definitions.ts';
import { getResourceGroup, getSubscription, listResourceGroups, listSubscriptions } from './subscriptions.ts';

/**
 * The sandbox's Azure Resource Manager on the https origin. Every request gets ARM's request and
 * correlation id headers, must carry `api-version` and a valid bearer token for ARM, and is
 * counted per route kind. Writes and actions are written to the activity log, refused or not.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The region ARM names in NoRegisteredProviderFound: the resource's, else its resource group's. */
function locationOf(ctx: ArmContext, route: ArmRoute): string {
  if (route.kind === 'operations.status') return route.location;
  if (route.kind !== 'resource') return 'global';
  const rg = ctx.state.resourceGroup(route.subscriptionId, route.resourceGroup);
  const id = `/subscriptions/${route.subscriptionId}/resourceGroups/${route.resourceGroup}/providers/${route.segments.slice(0, 3).join('/')}`;
  return ctx.state.resource(id)?.location ?? rg?.location ?? 'westeurope';
}

/** Each segment percent-decoded; undefined when one is malformed or decodes to a separator. */
function decodeArmPath(raw: string): string | undefined {
  try {
    const segs = raw.split('/').map(decodeURIComponent);
    return segs.some((s) => /[/\\]/.test(s)) ? undefined : segs.join('/');
  } catch {
    return undefined;
  }
}

function routeKind(route: ArmRoute, method: string): string {
  if (route.kind !== 'authorization' && route.kind !== 'resource') return route.kind;
  if (route.kind === 'resource') return method === 'GET' ? 'resources.get' : method === 'POST' ? 'resources.action' : 'resources.update';
  const c = route.collection.toLowerCase();
  const family = c === 'roleassignments' ? 'roleAssignments' : c === 'roledefinitions' ? 'roleDefinitions' : c === 'denyassignments' ? 'denyAssignments' : c === 'roleassignmentschedulerequests' ? 'roleAssignmentScheduleRequests' : c === 'roleassignmentscheduleinstances' ? 'roleAssignmentScheduleInstances' : c === 'roleassignmentschedules' ? 'roleAssignmentSchedules' : c;
  if (family === 'permissions') return 'permissions.list';
  if (route.action) return `${family}.${route.action.toLowerCase()}`;
  const verb = method === 'PUT' ? 'create' : method === 'DELETE' ? 'delete' : route.name ? 'get' : 'list';
  return `${family}.${verb}`;
}

function dispatch(req: Request, res: Response, route: ArmRoute, caller: ArmCaller, ctx: ArmContext, path: string): void {
  const method = req.method.toUpperCase();
  const readOnly = () => {
    if (method !== 'GET' && method !== 'HEAD') throw armErrors.operationNotSupported(method, route.kind);
  };
  switch (route.kind) {
    case 'subscriptions.list':
      readOnly();
      return listSubscriptions(req, res, caller, ctx);
    case 'subscriptions.get':
      readOnly();
      return getSubscription(req, res, caller, ctx, route.subscriptionId);
    case 'resourceGroups.list':
      readOnly();
      return listResourceGroups(req, res, caller, ctx, route.subscriptionId, path);
    case 'resourceGroups.get':
      readOnly();
      return getResourceGroup(req, res, caller, ctx, route.subscriptionId, route.resourceGroup);
    case 'resources.listByResourceGroup':
      readOnly();
      return listResourcesInGroup(req, res, caller, ctx, route.subscriptionId, route.resourceGroup, path);
    case 'resources.listBySubscription':
      readOnly();
      return listResourcesInSubscription(req, res, caller, ctx, route.subscriptionId, path);
    case 'resource':
      return handleResource(req, res, caller, ctx, route.subscriptionId, route.resourceGroup, path);
    case 'managementGroups.list':
      readOnly();
      return listManagementGroups(req, res, caller, ctx);
    case 'managementGroups.get':
      readOnly();
      return getManagementGroup(req, res, caller, ctx, route.id);
    case 'managementGroups.descendants':
      readOnly();
      return listDescendants(req, res, caller, ctx, route.id);
    case 'operations.status':
      readOnly();
      return getOperationStatus(req, res, caller, ctx, route);
    case 'activityLog.list':
      readOnly();
      return listActivityLog(req, res, caller, ctx, route.subscriptionId, path);
    case 'alerts':
      return handleAlerts(req, res, caller, ctx, ctx.alerts, route, path);
    case 'authorization': {
      const c = route.collection.toLowerCase();
      if (route.action !== undefined) {
        if (c === 'roleassignmentschedulerequests' && route.name && route.action.toLowerCase() === 'cancel' && method === 'POST') return cancelScheduleRequest(req, res, caller, ctx, route.scope, route.name);
        throw armErrors.invalidPath(`The path '${path.slice(0, 300)}' is not an operation the sandbox's Azure Resource Manager implements.`);
      }
      if (c === 'roleassignmentschedulerequests') {
        if (!route.name) return (readOnly(), listScheduleRequests(req, res, caller, ctx, route.scope, path));
        if (method === 'GET') return getScheduleRequest(req, res, caller, ctx, route.scope, route.name);
        if (method === 'PUT') return createScheduleRequest(req, res, caller, ctx, route.scope, route.name);
        throw armErrors.operationNotSupported(method, 'Microsoft.Authorization/roleAssignmentScheduleRequests');
      }
      if (c === 'roleassignmentschedules' || c === 'roleassignmentscheduleinstances') {
        readOnly();
        const kind = c === 'roleassignmentschedules' ? 'schedule' : 'instance';
        return route.name ? getSchedule(req, res, caller, ctx, route.scope, route.name, kind) : listSchedules(req, res, caller, ctx, route.scope, path, kind);
      }
      if (c === 'roleassignments') {
        if (!route.name) return (readOnly(), listRoleAssignments(req, res, caller, ctx, route.scope, path));
        if (method === 'GET') return getRoleAssignment(req, res, caller, ctx, route.scope, route.name);
        if (method === 'PUT') return createRoleAssignment(req, res, caller, ctx, route.scope, route.name);
        if (method === 'DELETE') return deleteRoleAssignment(req, res, caller, ctx, route.scope, route.name);
        throw armErrors.operationNotSupported(method, 'Microsoft.Authorization/roleAssignments');
      }
      readOnly();
      if (c === 'roledefinitions') return route.name ? getRoleDefinition(req, res, caller, ctx, route.scope, route.name) : listRoleDefinitions(req, res, caller, ctx, route.scope, path);
      if (c === 'denyassignments') return route.name ? getDenyAssignment(req, res, caller, ctx, route.scope, route.name) : listDenyAssignments(req, res, caller, ctx, route.scope, path);
      if (c === 'permissions' && !route.name) return listPermissions(req, res, caller, ctx, route.scope, path);
      throw armErrors.invalidResourceType(route.collection, 'Microsoft.Authorization', String(req.query['api-version']));
    }
    case 'unknown':
      throw armErrors.invalidPath(`The path '${path.slice(0, 300)}' is not an operation the sandbox's Azure Resource Manager implements.`);
  }
}

function recordActivity(req: Request, res: Response, ctx: ArmContext, caller: ArmCaller, path: string, correlationId: string): void {
  const method = req.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return;
  let action: string;
  let scope: string;
  try {
    ({ action, scope } = operationAction(method, path));
  } catch {
    return;
  }
  const sub = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1]?.toLowerCase();
  if (!sub || !ctx.state.subscription(sub)) return;
  res.on('finish', () => {
    const status = res.statusCode;
    let subStatus = status === 403 ? 'Forbidden' : status === 202 ? 'Accepted' : status < 400 ? (status === 201 ? 'Created' : 'OK') : 'BadRequest';
    if (status === 404) subStatus = 'NotFound';
    ctx.activity.record({
      correlationId,
      subscriptionId: sub,
      resourceGroupName: /\/resourceGroups\/([^/]+)/i.exec(path)?.[1],
      resourceId: scope,
      action,
      scope,
      caller: caller.clientName,
      callerObjectId: caller.principalId,
      httpMethod: method,
      status: status >= 400 ? 'Failed' : status === 202 ? 'Accepted' : 'Succeeded',
      subStatus,
      statusCode: status,
    });
  });
}

export function armRouter(ctx: ArmContext): Router {
  const router = Router();
  const json = express.json({ limit: '256kb', type: () => true, strict: true });

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    // SDKs build `/{scope}/providers/...` from scopes that start with '/': ARM tolerates `//`
    const rawPath = req.path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
    const first = rawPath.split('/')[1]?.toLowerCase();
    if (first !== 'subscriptions' && first !== 'providers') return next();
    // ARM reads each segment percent-decoded (names such as `High CPU` or `VM;iaasvm;rg;vm`
    // arrive as the SDKs encode them); an encoded separator inside a name is not a name.
    const path = decodeArmPath(rawPath);
    const incoming = req.get('x-ms-correlation-request-id');
    const correlationId = incoming && GUID.test(incoming) ? incoming : randomUUID();
    res.set({ 'x-ms-request-id': randomUUID(), 'x-ms-correlation-request-id': correlationId, 'Cache-Control': 'no-cache' });
    const route = path === undefined ? ({ kind: 'unknown' } as const) : classifyArmPath(path);
    const method = req.method.toUpperCase();
    try {
      const caller = await authenticateArmRequest(req, ctx);
      if (caller instanceof ArmError) throw caller;
      ctx.stats.countArm(routeKind(route, method), caller.principalId);
      // Throttled before anything else is looked at, as ARM does: the request is not processed.
      const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(rawPath)?.[1];
      const throttled = ctx.throttle.take({ principalId: caller.principalId, subscriptionId, kind: operationKindOf(method) });
      if (!throttled.ok) throw armErrors.throttled(throttled.code, throttled.message, throttled.retryAfterSeconds);
      res.set(throttled.headers);
      if (path === undefined) throw armErrors.invalidPath(`The path '${rawPath.slice(0, 300)}' is not a valid resource path: a segment is malformed or encodes a separator.`);
      const apiVersion = queryParam(req, 'api-version');
      if (!apiVersion) throw armErrors.missingApiVersion();
      const target = apiVersionTarget(route);
      if (target) {
        const problem = apiVersionProblem(target, apiVersion.slice(0, 40), locationOf(ctx, route));
        if (problem) throw problem;
      }
      recordActivity(req, res, ctx, caller, path, correlationId);
      if (method === 'PUT' || method === 'PATCH' || method === 'POST') {
        await new Promise<void>((resolve, reject) => json(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
      }
      dispatch(req, res, route, caller, ctx, path);
    } catch (err) {
      const armErr =
        err instanceof ArmError
          ? err
          : typeof (err as { status?: unknown })?.status === 'number' && (err as { status: number }).status < 500
            ? armErrors.invalidRequestContent((err as Error).message.slice(0, 200))
            : undefined;
      if (!armErr) return next(err);
      if (armErr.status >= 400) ctx.logger.info({ method, route: route.kind, code: armErr.code, status: armErr.status }, 'sandbox arm: request refused');
      res.status(armErr.status).set(armErr.headers).json(armErr.body());
    }
  });
  return router;
}
