import type { Request, Response } from 'express';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { requirePermission } from './arm-authorize.ts';
import { armErrors } from './arm-errors.ts';
import { denyAssignmentJson } from './arm-json.ts';
import { pageOf, queryParam } from './arm-paging.ts';
import { existingScope } from './arm-scope.ts';
import { scopeRelator } from './scope-relation.ts';

/**
 * Microsoft.Authorization/denyAssignments: list for a scope and get. The list holds the deny
 * assignments at, above (management groups included) and below the scope, with ARM's filters:
 * `atScope()` (at or above), `denyAssignmentName eq '{name}'` (at the scope),
 * `principalId eq '{id}'` (naming the principal in `principals`, literally: ARM does not expand
 * group membership here), `gdprExportPrincipalId eq '{id}'` (in `principals` or
 * `excludePrincipals`; only name and description are returned).
 * https://learn.microsoft.com/en-us/rest/api/authorization/deny-assignments/list-for-scope
 */

const EVERYONE = '00000000-0000-0000-0000-000000000000';

export function listDenyAssignments(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, path: string): void {
  const parsed = existingScope(ctx, scope);
  requirePermission(ctx, caller, 'Microsoft.Authorization/denyAssignments/read', parsed.scope);
  const filter = queryParam(req, '$filter')?.trim();
  let atScope = false;
  let principalId: string | undefined;
  let gdprPrincipalId: string | undefined;
  let name: string | undefined;
  if (filter) {
    const p = /^principalId\s+eq\s+'([0-9a-f-]{36})'$/i.exec(filter);
    const g = /^gdprExportPrincipalId\s+eq\s+'([0-9a-f-]{36})'$/i.exec(filter);
    const n = /^denyAssignmentName\s+eq\s+'([^']{1,256})'$/i.exec(filter);
    if (/^atScope\(\)$/i.test(filter)) atScope = true;
    else if (p) principalId = p[1]!.toLowerCase();
    else if (g) gdprPrincipalId = g[1]!.toLowerCase();
    else if (n) name = n[1]!.toLowerCase();
    else throw armErrors.invalidFilter(filter.slice(0, 300));
  }
  const relate = scopeRelator(ctx.state);
  const names = (list: Array<{ id: string }> | undefined) => (list ?? []).map((x) => x.id.toLowerCase());
  const items = ctx.state.denyAssignments.filter((d) => {
    const rel = relate(d.scope, parsed.scope);
    if (rel === 'unrelated' || (atScope && rel === 'below')) return false;
    if (name !== undefined) return rel === 'same' && (d.denyAssignmentName ?? '').toLowerCase() === name;
    if (gdprPrincipalId) return [...names(d.principals), ...names(d.excludePrincipals)].includes(gdprPrincipalId);
    return !principalId || names(d.principals).some((id) => id === principalId || id === EVERYONE);
  });
  const json = items.map(denyAssignmentJson);
  if (gdprPrincipalId) {
    for (const j of json as Array<{ properties: Record<string, unknown> }>) {
      j.properties = { denyAssignmentName: j.properties.denyAssignmentName, description: j.properties.description };
    }
  }
  res.json(pageOf(req, ctx.origin, path, json, ctx.pageSize));
}

export function getDenyAssignment(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, name: string): void {
  const parsed = existingScope(ctx, scope);
  requirePermission(ctx, caller, 'Microsoft.Authorization/denyAssignments/read', parsed.scope);
  const id = `${parsed.scope === '/' ? '' : parsed.scope}/providers/Microsoft.Authorization/denyAssignments/${name}`.toLowerCase();
  const d = ctx.state.denyAssignments.find((x) => x.id.toLowerCase() === id);
  if (!d) throw armErrors.denyAssignmentNotFound(name.slice(0, 100));
  res.json(denyAssignmentJson(d));
}
