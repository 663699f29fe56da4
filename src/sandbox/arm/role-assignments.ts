import type { Request, Response } from 'express';
import { roleGuidOf } from '../../rbac/compiled-role.ts';
import type { RoleAssignmentRecord } from '../state/arm-state.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { requirePermission } from './arm-authorize.ts';
import { armErrors } from './arm-errors.ts';
import { roleAssignmentJson } from './arm-json.ts';
import { pageOf, queryParam } from './arm-paging.ts';
import { existingScope } from './arm-scope.ts';
import { scopeRelator } from './scope-relation.ts';

/**
 * Microsoft.Authorization/roleAssignments: list for a scope with ARM's filters, get, create (PUT)
 * and delete, each checked against the caller's own permissions.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface AssignmentFilter {
  atScope: boolean;
  assignedTo?: string;
  principalId?: string;
}

export function parseAssignmentFilter(filter: string | undefined): AssignmentFilter {
  const out: AssignmentFilter = { atScope: false };
  if (filter === undefined || filter.trim() === '') return out;
  for (const raw of filter.trim().split(/\s+and\s+/i)) {
    const term = raw.trim();
    let m: RegExpExecArray | null;
    if (/^atScope\(\)$/i.test(term)) out.atScope = true;
    else if ((m = /^assignedTo\('([^']*)'\)$/i.exec(term)) && GUID.test(m[1]!)) out.assignedTo = m[1]!.toLowerCase();
    else if ((m = /^principalId\s+eq\s+'([^']*)'$/i.exec(term)) && GUID.test(m[1]!)) out.principalId = m[1]!.toLowerCase();
    else throw armErrors.invalidFilter(filter.slice(0, 300));
  }
  if (out.assignedTo && out.principalId) throw armErrors.invalidFilter(filter.slice(0, 300));
  return out;
}

export function listRoleAssignments(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, path: string): void {
  const parsed = existingScope(ctx, scope);
  requirePermission(ctx, caller, 'Microsoft.Authorization/roleAssignments/read', parsed.scope);
  const filter = parseAssignmentFilter(queryParam(req, '$filter'));
  const relate = scopeRelator(ctx.state);
  const principals = filter.assignedTo ? new Set([filter.assignedTo, ...ctx.directory.groupIdsOf(filter.assignedTo)]) : undefined;
  const items = ctx.state.allAssignments().filter((a) => {
    const rel = relate(a.scope, parsed.scope);
    if (rel === 'unrelated' || (filter.atScope && rel === 'below')) return false;
    if (principals && !principals.has(a.principalId)) return false;
    if (filter.principalId && a.principalId !== filter.principalId) return false;
    return true;
  });
  res.json(pageOf(req, ctx.origin, path, items.map(roleAssignmentJson), ctx.pageSize));
}

function assignmentAt(ctx: ArmContext, scope: string, name: string): RoleAssignmentRecord | undefined {
  return ctx.state.assignment(`${scope === '/' ? '' : scope}/providers/Microsoft.Authorization/roleAssignments/${name}`);
}

export function getRoleAssignment(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, name: string): void {
  const parsed = existingScope(ctx, scope);
  requirePermission(ctx, caller, 'Microsoft.Authorization/roleAssignments/read', parsed.scope);
  const a = assignmentAt(ctx, parsed.scope, name);
  if (!a) throw armErrors.roleAssignmentNotFound(name);
  res.json(roleAssignmentJson(a));
}

export function createRoleAssignment(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, name: string): void {
  const parsed = existingScope(ctx, scope);
  requirePermission(ctx, caller, 'Microsoft.Authorization/roleAssignments/write', parsed.scope);
  if (!GUID.test(name)) throw armErrors.invalidRoleAssignmentId(name.slice(0, 100));
  const body = req.body as { properties?: Record<string, unknown> } | undefined;
  const p = body && typeof body === 'object' && body.properties && typeof body.properties === 'object' ? body.properties : undefined;
  if (!p) throw armErrors.invalidRequestContent("the body must have a 'properties' object");
  const str = (k: string, max: number): string | undefined => {
    const v = p[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.length > max) throw armErrors.invalidParameter(`The property '${k}' is invalid.`);
    return v;
  };
  const roleDefinitionId = str('roleDefinitionId', 512);
  const principalId = str('principalId', 64);
  if (!roleDefinitionId) throw armErrors.invalidParameter("The property 'roleDefinitionId' is required.");
  if (!principalId) throw armErrors.invalidParameter("The property 'principalId' is required.");
  const guid = roleGuidOf(roleDefinitionId);
  const role = ctx.state.roleDefinition(guid);
  if (!role || !/\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i.test(roleDefinitionId)) throw armErrors.roleDefinitionDoesNotExist(guid.slice(0, 100));
  if (!GUID.test(principalId)) throw armErrors.principalNotFound(principalId.slice(0, 64), ctx.directory.tenantId);
  const principal = ctx.directory.principal(principalId);
  if (!principal) throw armErrors.principalNotFound(principalId, ctx.directory.tenantId);
  const principalType = str('principalType', 40);
  if (principalType !== undefined && principalType !== principal.type) throw armErrors.unmatchedPrincipalType(principal.id, principal.type, principalType.slice(0, 40));
  const description = str('description', 2048) ?? null;
  const condition = str('condition', 8192) ?? null;
  const conditionVersion = condition ? (str('conditionVersion', 10) ?? '2.0') : null;

  const existing = assignmentAt(ctx, parsed.scope, name);
  if (existing) {
    if (existing.principalId === principal.id && roleGuidOf(existing.roleDefinitionId) === guid) {
      res.status(200).json(roleAssignmentJson(existing));
      return;
    }
    throw armErrors.roleAssignmentUpdateNotPermitted();
  }
  const duplicate = ctx.state
    .allAssignments()
    .some((a) => a.principalId === principal.id && roleGuidOf(a.roleDefinitionId) === guid && a.scope.toLowerCase() === parsed.scope.toLowerCase());
  if (duplicate) throw armErrors.roleAssignmentExists();
  const now = new Date().toISOString();
  const record: RoleAssignmentRecord = {
    id: `${parsed.scope === '/' ? '' : parsed.scope}/providers/Microsoft.Authorization/roleAssignments/${name.toLowerCase()}`,
    name: name.toLowerCase(),
    scope: parsed.scope,
    roleDefinitionId: ctx.state.roleDefinitionIdAt(parsed.scope, role.name),
    principalId: principal.id,
    principalType: principal.type,
    description,
    condition,
    conditionVersion,
    createdOn: now,
    updatedOn: now,
    createdBy: caller.principalId,
    updatedBy: caller.principalId,
  };
  ctx.state.putAssignment(record);
  ctx.logger.info({ assignment: record.id, role: role.roleName, principalId: record.principalId, by: caller.principalId }, 'sandbox arm: role assignment created');
  res.status(201).json(roleAssignmentJson(record));
}

export function deleteRoleAssignment(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, name: string): void {
  const parsed = existingScope(ctx, scope);
  requirePermission(ctx, caller, 'Microsoft.Authorization/roleAssignments/delete', parsed.scope);
  const a = assignmentAt(ctx, parsed.scope, name);
  if (!a) {
    res.status(204).end();
    return;
  }
  ctx.state.deleteAssignment(a.id);
  ctx.logger.info({ assignment: a.id, by: caller.principalId }, 'sandbox arm: role assignment deleted');
  res.status(200).json(roleAssignmentJson(a));
}
