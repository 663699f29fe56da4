/**
 * Reads an AuthorizationState from JSON files (the I/O edge of the evaluator): role and deny
 * assignments in ARM list shape, role definitions as `az role definition list` prints them
 * (default: the built-in catalog), group memberships and the management-group hierarchy.
 * Errors are one line and name the file.
 */
import { readFileSync } from 'node:fs';
import { parseDenyAssignmentList, parseRoleAssignmentList } from './arm-list-shapes.ts';
import { RbacDataError } from './rbac-errors.ts';
import { firstIssue, groupsSchema, hierarchySchema } from './rbac-schemas.ts';
import type { AuthorizationState } from './rbac-types.ts';
import { loadBuiltinCatalog, loadCatalogFile } from './role-catalog.ts';

export interface AuthorizationFiles {
  assignments: string;
  roles?: string;
  deny?: string;
  groups?: string;
  hierarchy?: string;
}

const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** Reads and parses a JSON file; `what` names it in errors ("assignments file x.json: ..."). */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new RbacDataError(`${what} file ${path}: cannot read${code ? ` (${code})` : ''}`);
  }
  if (text.length > MAX_FILE_BYTES) throw new RbacDataError(`${what} file ${path}: too large`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RbacDataError(`${what} file ${path}: not valid JSON (${(err as Error).message})`);
  }
}

function parseWith<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, value: unknown, label: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new RbacDataError(`${label}: ${firstIssue(r.error)}`);
  return r.data;
}

export function loadAuthorizationState(files: AuthorizationFiles): AuthorizationState {
  const roles = files.roles ? loadCatalogFile(files.roles).roles : loadBuiltinCatalog().roles;
  const assignments = parseRoleAssignmentList(readJsonFile(files.assignments, 'assignments'), `assignments file ${files.assignments}`);
  const denyAssignments = files.deny ? parseDenyAssignmentList(readJsonFile(files.deny, 'deny'), `deny file ${files.deny}`) : [];
  const groups = files.groups ? parseWith(groupsSchema, readJsonFile(files.groups, 'groups'), `groups file ${files.groups}`) : {};
  const hierarchy = files.hierarchy
    ? parseWith(hierarchySchema, readJsonFile(files.hierarchy, 'hierarchy'), `hierarchy file ${files.hierarchy}`)
    : {};
  return { roles: [...roles], assignments, denyAssignments, groups, hierarchy };
}
