/**
 * Regenerates the shipped built-in role catalog from an `az role definition list` export: the
 * shared corpus (src/rbac/scripts/generate-rbac-catalog.ts) or a tenant's own export
 * (`elevate roles update --from`). The export is hostile input until proven otherwise: every
 * entry passes the full zod schema and compiles as Elevate evaluates it, or nothing is written.
 */
import { parseRoleDefinitionList, type ParseProgress } from './arm-list-shapes.ts';
import { encodeBuiltinCatalog } from './builtin-catalog-file.ts';
import { compileRole } from './compiled-role.ts';
import { RbacDataError } from './rbac-errors.ts';
import type { RoleDefinition } from './rbac-types.ts';
import { createRoleCatalog, type RoleCatalog } from './role-catalog.ts';

export interface CatalogUpdate {
  roles: RoleDefinition[];
  bytes: Buffer;
  /** entries of the export that are custom roles (not shipped; a tenant's roles file carries them) */
  skippedCustom: number;
  added: string[];
  removed: string[];
  changed: string[];
}

export interface CatalogUpdateOptions {
  /** the catalog being replaced, to report and guard what changes */
  current?: RoleCatalog;
  /** accept an export that lacks roles the current catalog has (Azure rarely deletes built-in roles; a partial export is the likelier cause) */
  allowRemovals?: boolean;
  onProgress?: ParseProgress;
}

const isBuiltIn = (r: RoleDefinition) => (r.roleType ?? '').toLowerCase() === 'builtinrole';
const key = (r: RoleDefinition) => r.name.toLowerCase();
const sameDefinition = (a: RoleDefinition, b: RoleDefinition) => JSON.stringify(encodeShape(a)) === JSON.stringify(encodeShape(b));
const encodeShape = (r: RoleDefinition) => [r.id, r.roleName, r.roleType, r.description, r.assignableScopes, r.permissions.map((p) => [p.actions, p.notActions, p.dataActions, p.notDataActions, p.condition ?? null, p.conditionVersion ?? null])];

export function buildCatalogUpdate(body: unknown, source: string, options: CatalogUpdateOptions = {}): CatalogUpdate {
  const all = parseRoleDefinitionList(body, source, options.onProgress);
  const roles = all.filter(isBuiltIn).sort((a, b) => (a.roleName < b.roleName ? -1 : a.roleName > b.roleName ? 1 : 0));
  if (roles.length === 0) {
    throw new RbacDataError(`${source}: no built-in roles (roleType "BuiltInRole"); expected the output of \`az role definition list\``);
  }
  createRoleCatalog(roles, source); // duplicate GUIDs or names
  for (const r of roles) compileRole(r); // patterns and ABAC conditions Elevate can evaluate

  const current = options.current;
  const before = new Map((current?.roles ?? []).map((r) => [key(r), r]));
  const after = new Map(roles.map((r) => [key(r), r]));
  const removed = [...before.values()].filter((r) => !after.has(key(r))).map((r) => r.roleName);
  const added = roles.filter((r) => !before.has(key(r))).map((r) => r.roleName);
  const changed = roles.filter((r) => before.has(key(r)) && !sameDefinition(before.get(key(r))!, r)).map((r) => r.roleName);
  if (removed.length > 0 && !options.allowRemovals) {
    const shown = removed.slice(0, 5).map((n) => JSON.stringify(n)).join(', ');
    throw new RbacDataError(
      `${source}: lacks ${removed.length} built-in role${removed.length === 1 ? '' : 's'} the current catalog has (${shown}${removed.length > 5 ? ', ...' : ''}); export all roles with \`az role definition list\`, or pass --allow-removals if Azure really removed them`,
    );
  }
  return { roles, bytes: encodeBuiltinCatalog(roles), skippedCustom: all.length - roles.length, added, removed, changed };
}

export interface NoticeFacts {
  /** what the data is and where it came from, one paragraph */
  source: string;
  /** licence text of the source, verbatim, when it has one */
  licence?: string;
  command: string;
  generatedAt: Date;
  counts: Record<string, number>;
  file: string;
}

/** The provenance note written beside a generated file. */
export function renderNotice(f: NoticeFacts): string {
  const counts = Object.entries(f.counts).map(([k, v]) => `- ${k}: ${v}`).join('\n');
  return [
    `# ${f.file}: provenance`,
    '',
    'Generated file; do not edit by hand.',
    '',
    `- generated: ${f.generatedAt.toISOString().slice(0, 10)}`,
    `- generator: \`${f.command}\``,
    counts,
    '',
    '## Source',
    '',
    f.source,
    ...(f.licence ? ['', '## Licence of the source data', '', '```text', f.licence.trimEnd(), '```'] : []),
    '',
  ].join('\n');
}
