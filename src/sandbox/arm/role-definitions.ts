import type { Request, Response } from 'express';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { armErrors } from './arm-errors.ts';
import { roleDefinitionJson } from './arm-json.ts';
import { pageOf, queryParam } from './arm-paging.ts';
import { existingScope } from './arm-scope.ts';

/**
 * Microsoft.Authorization/roleDefinitions, served from Elevate's built-in role catalog (every
 * Azure built-in role): list at a scope (with `roleName eq '...'` or `type eq
 * 'BuiltInRole'|'CustomRole'`) and get by id. Like ARM, any authenticated caller may read role
 * definitions, and ids read under a subscription carry that subscription. The list is paged
 * with an absolute nextLink, which RoleDefinitionListResult allows and clients must follow
 * (https://learn.microsoft.com/rest/api/authorization/role-definitions/list).
 */

const NAME_FILTER = /^roleName\s+eq\s+'([^']{1,512})'$/i;
const TYPE_FILTER = /^type\s+eq\s+'(BuiltInRole|CustomRole)'$/i;

export function listRoleDefinitions(req: Request, res: Response, _caller: ArmCaller, ctx: ArmContext, scope: string, path: string): void {
  const parsed = existingScope(ctx, scope);
  let roles = [...ctx.state.catalog.roles];
  const filter = queryParam(req, '$filter');
  if (filter !== undefined && filter.trim() !== '') {
    const byName = NAME_FILTER.exec(filter.trim());
    const byType = TYPE_FILTER.exec(filter.trim());
    if (byName) roles = roles.filter((r) => r.roleName.toLowerCase() === byName[1]!.toLowerCase());
    else if (byType) roles = roles.filter((r) => (r.roleType ?? 'BuiltInRole').toLowerCase() === byType[1]!.toLowerCase());
    else throw armErrors.invalidParameter(`The $filter '${filter.slice(0, 200)}' is not supported; use roleName eq '{name}' or type eq 'BuiltInRole'.`);
  }
  res.json(pageOf(req, ctx.origin, path, roles.map((r) => roleDefinitionJson(r, ctx.state.roleDefinitionIdAt(parsed.scope, r.name))), ctx.pageSize));
}

export function getRoleDefinition(_req: Request, res: Response, _caller: ArmCaller, ctx: ArmContext, scope: string, id: string): void {
  const parsed = existingScope(ctx, scope);
  const role = /^[0-9a-f-]{36}$/i.test(id) ? ctx.state.roleDefinition(id) : undefined;
  if (!role) throw armErrors.roleDefinitionDoesNotExist(id.slice(0, 100));
  res.json(roleDefinitionJson(role, ctx.state.roleDefinitionIdAt(parsed.scope, role.name)));
}
