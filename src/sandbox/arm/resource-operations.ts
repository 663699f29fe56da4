import type { Request, Response } from 'express';
import type { ArmResourceRecord } from '../state/arm-state.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { armErrors } from './arm-errors.ts';
import { resourceJson } from './arm-json.ts';

/**
 * The resource operations the sandbox carries out (after the RBAC check has passed): container
 * app revision restart and update, VM restart/start/deallocate/power off (asynchronous), AKS agent
 * pool scale, App Service restart, and PATCH updates of any resource's tags and properties.
 */

const BLOCKED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON merge patch (RFC 7396): objects merge, null removes, anything else replaces. */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>, depth = 0): Record<string, unknown> {
  if (depth > 20) throw armErrors.invalidRequestContent('nesting too deep');
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (BLOCKED_KEYS.has(k)) continue;
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = mergePatch(out[k] as Record<string, unknown>, v, depth + 1);
    else out[k] = structuredClone(v);
  }
  return out;
}

function requireBody(req: Request): Record<string, unknown> {
  if (!isPlainObject(req.body)) throw armErrors.invalidRequestContent('the request body must be a JSON object');
  return req.body;
}

export function patchResource(req: Request, res: Response, r: ArmResourceRecord): void {
  const body = requireBody(req);
  for (const f of ['id', 'name', 'type', 'location'] as const) {
    if (body[f] !== undefined && String(body[f]).toLowerCase() !== String(r[f]).toLowerCase()) throw armErrors.invalidParameter(`Changing property '${f}' is not allowed.`);
  }
  if (body.tags !== undefined) {
    if (!isPlainObject(body.tags) || !Object.values(body.tags).every((v) => typeof v === 'string')) throw armErrors.invalidParameter("'tags' must be an object of strings.");
    r.tags = { ...(body.tags as Record<string, string>) };
  }
  if (body.sku !== undefined) {
    if (!isPlainObject(body.sku)) throw armErrors.invalidParameter("'sku' must be an object.");
    r.sku = mergePatch(r.sku ?? {}, body.sku);
  }
  if (body.properties !== undefined) {
    if (!isPlainObject(body.properties)) throw armErrors.invalidParameter("'properties' must be an object.");
    const { provisioningState: _ignored, ...patch } = body.properties;
    r.properties = mergePatch(r.properties, patch);
  }
  res.status(200).json(resourceJson(r));
}

export function scaleAgentPool(req: Request, res: Response, pool: ArmResourceRecord): void {
  const body = requireBody(req);
  const props = isPlainObject(body.properties) ? body.properties : undefined;
  const count = props?.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > 1000) {
    throw armErrors.invalidParameter("The value of parameter agentPoolProfile.count is invalid. Please see https://aka.ms/aks-naming-rules for more details. It must be a whole number between 0 and 1000.");
  }
  if (count === 0 && String(pool.properties.mode).toLowerCase() === 'system') {
    throw armErrors.invalidParameter(`System agent pool '${pool.name}' must have at least one node.`);
  }
  const { provisioningState: _ignored, ...rest } = props!;
  pool.properties = mergePatch(pool.properties, rest);
  pool.properties.provisioningState = 'Succeeded';
  res.status(200).json(resourceJson(pool));
}

const VM_ACTIONS: Record<string, ArmResourceRecord['powerState']> = { restart: 'running', start: 'running', deallocate: 'deallocated', poweroff: 'stopped' };

export function postAction(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, r: ArmResourceRecord, actionName: string): void {
  const type = r.type.toLowerCase();
  const action = actionName.toLowerCase();
  if (type === 'microsoft.app/containerapps/revisions' && action === 'restart') {
    r.properties = { ...r.properties, runningState: 'Running', healthState: 'Healthy' };
    res.status(200).end();
    return;
  }
  if (type === 'microsoft.web/sites' && (action === 'restart' || action === 'start' || action === 'stop')) {
    if (action !== 'restart') r.properties = { ...r.properties, state: action === 'stop' ? 'Stopped' : 'Running' };
    res.status(200).end();
    return;
  }
  if (type === 'microsoft.compute/virtualmachines' && action in VM_ACTIONS) {
    const location = r.location.toLowerCase();
    const apiVersion = String(req.query['api-version']);
    const op = ctx.operations.start(
      { subscriptionId: r.subscriptionId, namespace: 'Microsoft.Compute', location, principalId: caller.principalId, resourceId: r.id },
      () => {
        r.powerState = VM_ACTIONS[action];
      },
    );
    const base = `${ctx.origin}/subscriptions/${r.subscriptionId}/providers/Microsoft.Compute/locations/${location}`;
    res
      .status(202)
      .set({
        'Azure-AsyncOperation': `${base}/operations/${op.id}?api-version=${encodeURIComponent(apiVersion)}`,
        Location: `${base}/operationResults/${op.id}?api-version=${encodeURIComponent(apiVersion)}`,
        'Retry-After': '1',
      })
      .end();
    return;
  }
  throw armErrors.operationNotSupported(`POST ${actionName}`, r.type);
}
