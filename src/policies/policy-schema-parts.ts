import { z } from 'zod';

/**
 * Pieces the policy-file schemas share. Messages are written for the operator editing the YAML:
 * they say what is expected, and the loader prefixes them with the file and the path.
 */

/** "a, b or c" */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * A mapping that rejects keys it does not know, naming what the key was taken to be ("unknown
 * permission level 'Admin'; expected Reader or Privileged"). `{key}` is filled in by the loader,
 * which reports each unknown key on its own line.
 */
export function strictMapping<S extends z.ZodRawShape>(shape: S, keyNoun = 'key') {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown ${keyNoun} '{key}'; expected ${orList(allowed)}`
        : issue.code === 'invalid_type'
          ? `expected a mapping with ${orList(allowed)}`
          : undefined,
  });
}

/** A role definition's `roleName`, as `az role definition list` prints it. */
export const roleName = z
  .string({ error: 'expected a role name such as Container Apps Contributor' })
  .trim()
  .min(1, 'expected a role name such as Container Apps Contributor')
  .max(256, 'expected a role name of at most 256 characters');

export const roleNameList = z.array(roleName, { error: 'expected a list of role names' }).max(50, 'expected at most 50 roles');

/**
 * The shape of an Azure action or data action pattern. Operations use letters, digits and a few
 * punctuation marks (`$`, `{}`, `:` appear in real ones); `*` is the wildcard. Whether it compiles
 * is decided by the RBAC matcher itself, after this.
 */
export const actionPattern = z
  .string({ error: 'expected an action pattern such as Microsoft.Authorization/*/write' })
  .regex(
    // `*/write` (every write, as Reader's `*/read`) is a pattern Azure roles use too
    /^(\*|\*\/[A-Za-z0-9.$:{}_*/-]+|[A-Za-z0-9][A-Za-z0-9.]*\/[A-Za-z0-9.$:{}_*/-]+)$/,
    'expected an action pattern such as Microsoft.Authorization/*/write (Namespace/type/operation, * as wildcard, no spaces)',
  )
  .max(512, 'expected an action pattern of at most 512 characters');

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const objectId = z
  .string({ error: 'expected an Entra object id (GUID)' })
  .regex(GUID_PATTERN, 'expected an Entra object id (GUID) such as 0e2d5f3c-7a41-4a9b-9a0e-2c6f4b1d8e7a');
