import type { Request, Response } from 'express';
import { roleGuidOf } from '../../rbac/compiled-role.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { pageOf } from './arm-paging.ts';
import { existingScope } from './arm-scope.ts';
import { scopeRelator } from './scope-relation.ts';

/**
 * `GET {scope}/providers/Microsoft.Authorization/permissions`: the caller's own permissions at a
 * scope, as ARM reports them — one entry per permission block of every role assigned to the
 * caller or its groups at that scope or above (not merged, not net of deny assignments).
 */
export function listPermissions(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, path: string): void {
  const parsed = existingScope(ctx, scope);
  const who = new Set([caller.principalId, ...ctx.directory.groupIdsOf(caller.principalId)]);
  const relate = scopeRelator(ctx.state);
  const seen = new Set<string>();
  const value: Array<Record<string, unknown>> = [];
  for (const a of ctx.state.allAssignments()) {
    if (!who.has(a.principalId)) continue;
    const rel = relate(a.scope, parsed.scope);
    if (rel !== 'same' && rel !== 'above') continue;
    const role = ctx.state.roleDefinition(roleGuidOf(a.roleDefinitionId));
    for (const p of role?.permissions ?? []) {
      const entry: Record<string, unknown> = { actions: p.actions, notActions: p.notActions, dataActions: p.dataActions, notDataActions: p.notDataActions };
      if (p.condition) Object.assign(entry, { condition: p.condition, conditionVersion: p.conditionVersion ?? null });
      const key = JSON.stringify(entry);
      if (seen.has(key)) continue;
      seen.add(key);
      value.push(entry);
    }
  }
  res.json(pageOf(req, ctx.origin, path, value, Math.max(ctx.pageSize, 100)));
}
