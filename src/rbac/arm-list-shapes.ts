/**
 * Parses ARM list bodies (`{ "value": [ { id, name, properties: {...} } ], "nextLink"? }`) of role
 * assignments, deny assignments and role definitions into the evaluator's types. Also takes a
 * bare array of such items, a single item (a GET by id), or the flattened shape `az ... list`
 * prints. Every entry is validated; the first bad one fails the whole body with an error that
 * names the source and the entry.
 */
import type { z } from 'zod';
import { RbacDataError } from './rbac-errors.ts';
import {
  armDenyAssignmentSchema,
  armRoleAssignmentSchema,
  armRoleDefinitionSchema,
  azRoleDefinitionSchema,
  firstIssue,
  flatDenyAssignmentSchema,
  flatRoleAssignmentSchema,
} from './rbac-schemas.ts';
import type { DenyAssignment, Permission, RoleAssignment, RoleDefinition } from './rbac-types.ts';

const MAX_ITEMS = 500_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function listItems(body: unknown, source: string): unknown[] {
  let items: unknown;
  if (Array.isArray(body)) items = body;
  else if (isObject(body) && Array.isArray(body.value)) items = body.value;
  else if (isObject(body) && isObject(body.properties)) items = [body];
  else throw new RbacDataError(`${source}: expected an ARM list body ({"value": [...]}), an array or a single item`);
  const list = items as unknown[];
  if (list.length > MAX_ITEMS) throw new RbacDataError(`${source}: more than ${MAX_ITEMS} entries`);
  return list;
}

type Item<A, F> = { arm: true; data: A } | { arm: false; data: F };

/** Told after each validated entry (long lists: `elevate roles update` shows it). */
export type ParseProgress = (done: number, total: number) => void;

function parseEach<A, F, T>(body: unknown, source: string, arm: z.ZodType<A>, flat: z.ZodType<F>, convert: (item: Item<A, F>) => T, onProgress?: ParseProgress): T[] {
  const items = listItems(body, source);
  return items.map((item, i) => {
    onProgress?.(i, items.length);
    const useArm = isObject(item) && 'properties' in item;
    const result = useArm ? arm.safeParse(item) : flat.safeParse(item);
    if (!result.success) {
      const id = isObject(item) && typeof item.id === 'string' ? ` (${item.id.slice(0, 200)})` : '';
      throw new RbacDataError(`${source}: entry ${i}${id}: ${firstIssue(result.error)}`);
    }
    return convert(useArm ? { arm: true, data: result.data as A } : { arm: false, data: result.data as F });
  });
}

type ParsedPermission = z.infer<typeof armRoleDefinitionSchema>['properties']['permissions'][number];

function toPermission(p: ParsedPermission): Permission {
  const out: Permission = { actions: p.actions, notActions: p.notActions, dataActions: p.dataActions, notDataActions: p.notDataActions };
  if (p.condition != null) out.condition = p.condition;
  if (p.conditionVersion != null) out.conditionVersion = p.conditionVersion;
  return out;
}

export function parseRoleAssignmentList(body: unknown, source = 'role assignments'): RoleAssignment[] {
  return parseEach(body, source, armRoleAssignmentSchema, flatRoleAssignmentSchema, (item) => {
    const v = item.data;
    const p = item.arm ? item.data.properties : item.data;
    const out: RoleAssignment = { id: v.id, scope: p.scope, roleDefinitionId: p.roleDefinitionId, principalId: p.principalId };
    if (v.name !== undefined) out.name = v.name;
    if (p.principalType != null) out.principalType = p.principalType;
    if (p.description != null) out.description = p.description;
    if (p.condition != null) out.condition = p.condition;
    if (p.conditionVersion != null) out.conditionVersion = p.conditionVersion;
    return out;
  });
}

export function parseDenyAssignmentList(body: unknown, source = 'deny assignments'): DenyAssignment[] {
  return parseEach(body, source, armDenyAssignmentSchema, flatDenyAssignmentSchema, (item) => {
    const v = item.data;
    const p = item.arm ? item.data.properties : item.data;
    const principal = (x: { id: string; type?: string | null | undefined }) => (x.type != null ? { id: x.id, type: x.type } : { id: x.id });
    const out: DenyAssignment = {
      id: v.id,
      scope: p.scope,
      permissions: p.permissions.map(toPermission),
      principals: p.principals.map(principal),
      excludePrincipals: (p.excludePrincipals ?? []).map(principal),
      doNotApplyToChildScopes: p.doNotApplyToChildScopes === true,
    };
    if (p.denyAssignmentName != null) out.denyAssignmentName = p.denyAssignmentName;
    if (p.isSystemProtected != null) out.isSystemProtected = p.isSystemProtected;
    return out;
  });
}

export function parseRoleDefinitionList(body: unknown, source = 'role definitions', onProgress?: ParseProgress): RoleDefinition[] {
  return parseEach(body, source, armRoleDefinitionSchema, azRoleDefinitionSchema, (item) => {
    const v = item.data;
    const p = item.arm
      ? { ...item.data.properties, roleType: item.data.properties.type }
      : item.data;
    const out: RoleDefinition = { id: v.id, name: v.name, roleName: p.roleName, permissions: p.permissions.map(toPermission), assignableScopes: p.assignableScopes };
    if (p.roleType != null) out.roleType = p.roleType;
    if (p.description != null) out.description = p.description;
    return out;
  }, onProgress);
}
