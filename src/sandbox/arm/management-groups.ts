import type { Request, Response } from 'express';
import type { ManagementGroupRecord } from '../state/arm-state.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { isAllowed, requirePermission } from './arm-authorize.ts';
import { armErrors } from './arm-errors.ts';
import { queryParam } from './arm-paging.ts';

/** Microsoft.Management/managementGroups: list, get (with `$expand=children`) and descendants. */

const READ = 'Microsoft.Management/managementGroups/read';
const mgId = (id: string) => `/providers/Microsoft.Management/managementGroups/${id}`;

function children(ctx: ArmContext, mg: ManagementGroupRecord): Array<Record<string, unknown>> {
  const groups = ctx.state.managementGroups
    .filter((m) => m.parentId === mg.id)
    .map((m) => ({ id: mgId(m.id), type: 'Microsoft.Management/managementGroups', name: m.id, displayName: m.displayName }));
  const subs = mg.subscriptionIds.map((s) => ({
    id: `/subscriptions/${s}`,
    type: '/subscriptions',
    name: s,
    displayName: ctx.state.subscription(s)?.displayName,
  }));
  return [...groups, ...subs];
}

function mgJson(ctx: ArmContext, mg: ManagementGroupRecord, expand: boolean): Record<string, unknown> {
  const parent = mg.parentId ? ctx.state.managementGroup(mg.parentId) : undefined;
  const properties: Record<string, unknown> = {
    tenantId: ctx.state.tenantId,
    displayName: mg.displayName,
    details: { version: 1, updatedTime: '2025-01-06T10:00:00Z', parent: parent ? { id: mgId(parent.id), name: parent.id, displayName: parent.displayName } : null },
  };
  if (expand) properties.children = children(ctx, mg);
  return { id: mgId(mg.id), type: 'Microsoft.Management/managementGroups', name: mg.id, properties };
}

export function listManagementGroups(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext): void {
  const value = ctx.state.managementGroups
    .filter((m) => isAllowed(ctx, caller, READ, mgId(m.id)))
    .map((m) => ({ id: mgId(m.id), type: 'Microsoft.Management/managementGroups', name: m.id, properties: { tenantId: ctx.state.tenantId, displayName: m.displayName } }));
  res.json({ value });
}

export function getManagementGroup(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, id: string): void {
  requirePermission(ctx, caller, READ, mgId(id));
  const mg = ctx.state.managementGroup(id);
  if (!mg) throw armErrors.managementGroupNotFound(id);
  res.json(mgJson(ctx, mg, queryParam(req, '$expand')?.toLowerCase() === 'children'));
}

export function listDescendants(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, id: string): void {
  requirePermission(ctx, caller, READ, mgId(id));
  const mg = ctx.state.managementGroup(id);
  if (!mg) throw armErrors.managementGroupNotFound(id);
  const out: Array<Record<string, unknown>> = [];
  const walk = (m: ManagementGroupRecord) => {
    for (const child of ctx.state.managementGroups.filter((x) => x.parentId === m.id)) {
      out.push({ id: mgId(child.id), type: 'Microsoft.Management/managementGroups/descendants', name: child.id, properties: { displayName: child.displayName, parent: { id: mgId(m.id) } } });
      walk(child);
    }
    for (const s of m.subscriptionIds) {
      out.push({ id: `/subscriptions/${s}`, type: '/subscriptions', name: s, properties: { displayName: ctx.state.subscription(s)?.displayName, parent: { id: mgId(m.id) } } });
    }
  };
  walk(mg);
  res.json({ value: out });
}
