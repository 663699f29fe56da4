/**
 * Role catalogs: role definitions as `az role definition list` prints them (an ARM list body
 * is accepted too), validated entry by entry and indexed by GUID and by roleName
 * (case-insensitive). The built-in catalog shipped with Elevate holds every Azure built-in role
 * (catalog/builtin-roles.json.br, generated; provenance in catalog/NOTICE.md) and is read on
 * first need, not at import; a tenant's full list can be loaded from a file.
 */
import { readFileSync } from 'node:fs';
import { parseRoleDefinitionList } from './arm-list-shapes.ts';
import { decodeBuiltinCatalog } from './builtin-catalog-file.ts';
import { compileRole, roleGuidOf } from './compiled-role.ts';
import { RbacDataError } from './rbac-errors.ts';
import type { RoleDefinition } from './rbac-types.ts';

export interface RoleCatalog {
  readonly roles: readonly RoleDefinition[];
  /** by GUID or by full role definition id (any scope prefix), case-insensitive */
  byId(idOrGuid: string): RoleDefinition | undefined;
  /** by roleName, case-insensitive */
  byName(roleName: string): RoleDefinition | undefined;
}

const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Builds a catalog; two entries with the same GUID or the same roleName are an error. */
export function createRoleCatalog(roles: readonly RoleDefinition[], source = 'role catalog'): RoleCatalog {
  const ids = new Map<string, RoleDefinition>();
  const names = new Map<string, RoleDefinition>();
  roles.forEach((r, i) => {
    const guid = roleGuidOf(r.name || r.id);
    if (ids.has(guid)) throw new RbacDataError(`${source}: entry ${i} (${r.roleName}): duplicate role definition id ${guid}`);
    const name = r.roleName.toLowerCase();
    if (names.has(name)) throw new RbacDataError(`${source}: entry ${i} (${r.roleName}): duplicate roleName`);
    ids.set(guid, r);
    names.set(name, r);
  });
  return {
    roles,
    byId: (id) => ids.get(roleGuidOf(id)),
    byName: (n) => names.get(n.toLowerCase()),
  };
}

/** Parses catalog JSON text; errors name the source and the entry. */
export function parseCatalogJson(text: string, source: string): RoleCatalog {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new RbacDataError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const roles = deepFreeze(parseRoleDefinitionList(body, source));
  // compiled now (and remembered, the roles being frozen): a pattern or condition Elevate cannot
  // evaluate fails the load, not a later check
  roles.forEach((role, i) => {
    try {
      compileRole(role);
    } catch (err) {
      if (err instanceof RbacDataError) throw new RbacDataError(`${source}: entry ${i}: ${err.message}`);
      throw err;
    }
  });
  return createRoleCatalog(roles, source);
}

/** Loads a role catalog file (`az role definition list > roles.json`). */
export function loadCatalogFile(path: string): RoleCatalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RbacDataError(`role catalog ${path}: cannot read${code ? ` (${code})` : ''}`);
  }
  if (text.length > MAX_FILE_BYTES) throw new RbacDataError(`role catalog ${path}: file too large`);
  return parseCatalogJson(text, `role catalog ${path}`);
}

export const BUILTIN_CATALOG_FILE = new URL('./catalog/builtin-roles.json.br', import.meta.url);

let builtin: RoleCatalog | undefined;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Reads a catalog file in the shipped format. Its roles are frozen: they are shared by every
 * evaluator in the process (compiled once, see compileRole), so nobody may change them.
 */
export function loadBuiltinCatalogFile(path: URL | string, what = 'built-in role catalog'): RoleCatalog {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RbacDataError(`${what}: cannot read${code ? ` (${code})` : ''}`);
  }
  return createRoleCatalog(deepFreeze(decodeBuiltinCatalog(bytes, what)), what);
}

/** Every Azure built-in role, shipped with Elevate; read on the first call. */
export function loadBuiltinCatalog(): RoleCatalog {
  builtin ??= loadBuiltinCatalogFile(BUILTIN_CATALOG_FILE);
  return builtin;
}
