/**
 * zod schemas for the Azure shapes Elevate reads: permission blocks, role definitions as
 * `az role definition list` prints them, and the `properties` objects of ARM list bodies.
 * Unknown fields are ignored; missing action lists default to empty (older API versions omit
 * dataActions); strings are bounded so a hostile file cannot make us build huge indexes of junk.
 */
import { z } from 'zod';
import { parseScope } from './scope-path.ts';

const text = (max: number) => z.string().min(1).max(max);
const pattern = text(1024);
const patterns = z.array(pattern).max(10_000).default([]);
const optionalText = z.string().max(100_000).nullable().optional();

/** A scope that parses as an ARM scope. */
export const scopeSchema = text(2048).superRefine((s, ctx) => {
  try {
    parseScope(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const permissionSchema = z.object({
  actions: patterns,
  notActions: patterns,
  dataActions: patterns,
  notDataActions: patterns,
  condition: optionalText,
  conditionVersion: z.string().max(16).nullable().optional(),
});

/** One entry of `az role definition list`. */
export const azRoleDefinitionSchema = z.object({
  id: text(2048),
  name: text(128),
  roleName: text(512),
  roleType: z.string().max(64).nullable().optional(),
  type: z.string().max(256).nullable().optional(),
  description: z.string().max(10_000).nullable().optional(),
  permissions: z.array(permissionSchema).max(100),
  assignableScopes: z.array(scopeSchema).min(1).max(10_000),
});

/** ARM role definition: `{ id, name, properties: { roleName, type, permissions, assignableScopes } }`. */
export const armRoleDefinitionSchema = z.object({
  id: text(2048),
  name: text(128),
  properties: z.object({
    roleName: text(512),
    type: z.string().max(64).nullable().optional(),
    description: z.string().max(10_000).nullable().optional(),
    permissions: z.array(permissionSchema).max(100),
    assignableScopes: z.array(scopeSchema).min(1).max(10_000),
  }),
});

const assignmentFields = {
  roleDefinitionId: text(2048),
  principalId: text(128),
  principalType: z.string().max(64).nullable().optional(),
  scope: scopeSchema,
  description: optionalText,
  condition: optionalText,
  conditionVersion: z.string().max(16).nullable().optional(),
};

export const armRoleAssignmentSchema = z.object({
  id: text(2048),
  name: z.string().max(128).optional(),
  properties: z.object(assignmentFields),
});

/** `az role assignment list` prints the properties flattened next to id and name. */
export const flatRoleAssignmentSchema = z.object({ id: text(2048), name: z.string().max(128).optional(), ...assignmentFields });

const denyPrincipal = z.object({ id: text(128), type: z.string().max(64).nullable().optional() });

const denyFields = {
  denyAssignmentName: z.string().max(512).nullable().optional(),
  description: z.string().max(10_000).nullable().optional(),
  permissions: z.array(permissionSchema).min(1).max(100),
  scope: scopeSchema,
  doNotApplyToChildScopes: z.boolean().nullable().optional(),
  principals: z.array(denyPrincipal).min(1).max(10_000),
  excludePrincipals: z.array(denyPrincipal).max(10_000).nullable().optional(),
  isSystemProtected: z.boolean().nullable().optional(),
};

export const armDenyAssignmentSchema = z.object({ id: text(2048), name: z.string().max(128).optional(), properties: z.object(denyFields) });
export const flatDenyAssignmentSchema = z.object({ id: text(2048), name: z.string().max(128).optional(), ...denyFields });

/** principal id -> ids of the groups it is a (transitive) member of */
export const groupsSchema = z.record(text(128), z.array(text(128)).max(10_000));
/** subscription id -> management group ids (or scopes) above it, nearest first */
export const hierarchySchema = z.record(text(128), z.array(text(2048)).max(64));

/** One line of the error for a failed parse: `path: message` of the first issue. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  return `${path}${issue.message}`;
}
