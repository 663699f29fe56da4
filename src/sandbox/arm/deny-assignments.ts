import type { Request, Response } from 'express';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { requirePermission } from './arm-authorize.ts';
import { armErrors } from './arm-errors.ts';
import { denyAssignmentJson } from './arm-json.ts';
import { pageOf, queryParam } from './arm-paging.ts';
import { existingScope } from './arm-scope.ts';
import { scopeRelator } from './scope-relation.ts';

/** Microsoft.Authorization/denyAssignments: list for a scope (optionally `atScope()`) and get. */

export function listDenyAssignments(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, path: string): void {
  const parsed = existingScope(ctx, scope);
  requirePermission(ctx, caller, 'Microsoft.Authorization/denyAssignments/read', parsed.scope);
  const filter = queryParam(req, '$filter')?.trim();
  let atScope = false;
  let principalId: string | undefined;
  if (filter) {
    const p = /^principalId\s+eq\s+'([0-9a-f-]{36})'$/i.exec(filter);
    if (/^atScope\(\)$/i.test(filter)) atScope = true;
    else if (p) principalId = p[1]!.toLowerCase();
    else throw armErrors.invalidFilter(filter.slice(0, 300));
  }
  const relate = scopeRelator(ctx.state);
  const items = ctx.state.denyAssignments.filter((d) => {
    const rel = relate(d.scope, parsed.scope);
    if (rel === 'unrelated' || (atScope && rel === 'below')) return false;
    return !principalId || d.principals.some((p) => p.id.toLowerCase() === principalId || p.id === '00000000-0000-0000-0000-000000000000');
  });
  res.json(pageOf(req, ctx.origin, path, items.map(denyAssignmentJson), ctx.pageSize));
}

export function getDenyAssignment(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, name: string): void {
  const parsed = existingScope(ctx, scope);
  requirePermission(ctx, caller, 'Microsoft.Authorization/denyAssignments/read', parsed.scope);
  const id = `${parsed.scope === '/' ? '' : parsed.scope}/providers/Microsoft.Authorization/denyAssignments/${name}`.toLowerCase();
  const d = ctx.state.denyAssignments.find((x) => x.id.toLowerCase() === id);
  if (!d) throw armErrors.denyAssignmentNotFound(name.slice(0, 100));
  res.json(denyAssignmentJson(d));
}
