/**
 * The shipped built-in role catalog file (catalog/builtin-roles.json.br): every built-in role
 * definition Azure has, in the evaluator's RoleDefinition shape (what `az role definition list`
 * prints, minus ARM bookkeeping: createdOn, createdBy, systemData...), brotli-compressed JSON.
 *
 * Written by src/rbac/scripts/generate-rbac-catalog.ts and `elevate roles update`, after the
 * input passed the full `az role definition list` validation (rbac-schemas.ts); read back with
 * a lighter schema of plain strings and arrays, which costs a fraction of the full one.
 */
import { z } from 'zod';
import { decodeCompressedJson, encodeCompressedJson } from './compressed-json.ts';
import { RbacDataError } from './rbac-errors.ts';
import type { Permission, RoleDefinition } from './rbac-types.ts';

const strings = z.array(z.string());
const permission = z.strictObject({
  actions: strings,
  notActions: strings,
  dataActions: strings,
  notDataActions: strings,
  condition: z.string().optional(),
  conditionVersion: z.string().optional(),
});
const role = z.strictObject({
  id: z.string().min(1),
  name: z.string().min(1),
  roleName: z.string().min(1),
  roleType: z.string().optional(),
  description: z.string().optional(),
  permissions: z.array(permission),
  assignableScopes: z.array(z.string().min(1)).min(1),
});
export const builtinCatalogFileSchema = z.strictObject({ format: z.literal(1), roles: z.array(role) });

/** The file's shape for a list of (already validated) role definitions; empty optional fields are left out. */
export function encodeBuiltinCatalog(roles: readonly RoleDefinition[]): Buffer {
  const compact = roles.map((r) => {
    const out: RoleDefinition = { id: r.id, name: r.name, roleName: r.roleName, permissions: [], assignableScopes: [...r.assignableScopes] };
    if (r.roleType != null) out.roleType = r.roleType;
    if (r.description != null) out.description = r.description;
    out.permissions = r.permissions.map((p) => {
      const block: Permission = { actions: [...p.actions], notActions: [...p.notActions], dataActions: [...p.dataActions], notDataActions: [...p.notDataActions] };
      if (p.condition != null) block.condition = p.condition;
      if (p.conditionVersion != null) block.conditionVersion = p.conditionVersion;
      return block;
    });
    // key order fixed so the same input always produces the same bytes
    return {
      id: out.id,
      name: out.name,
      roleName: out.roleName,
      ...(out.roleType !== undefined ? { roleType: out.roleType } : {}),
      ...(out.description !== undefined ? { description: out.description } : {}),
      permissions: out.permissions,
      assignableScopes: out.assignableScopes,
    };
  });
  return encodeCompressedJson({ format: 1, roles: compact });
}

export function decodeBuiltinCatalog(bytes: Uint8Array, what: string): RoleDefinition[] {
  let body: unknown;
  try {
    body = decodeCompressedJson(bytes, what);
  } catch (err) {
    throw new RbacDataError((err as Error).message);
  }
  const parsed = builtinCatalogFileSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RbacDataError(`${what}: ${issue ? `${issue.path.join('.') || 'file'}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data.roles as RoleDefinition[];
}
