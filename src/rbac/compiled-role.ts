/**
 * A role definition compiled for fast checks: its permission blocks, their ABAC conditions
 * and its assignable scopes, plus what ranking suggestions needs (built-in or not, size).
 */
import { compileCondition, type CompiledCondition, type ConditionValue } from './abac-condition.ts';
import { blockMatch, compileBlock, type CompiledBlock } from './permission-block.ts';
import { RbacDataError, RbacInputError } from './rbac-errors.ts';
import type { RoleDefinition } from './rbac-types.ts';
import { normalizeScope } from './scope-path.ts';

export interface CompiledRole {
  def: RoleDefinition;
  /** lower-cased role definition GUID */
  guid: string;
  builtIn: boolean;
  /** number of Actions + DataActions patterns over all blocks */
  size: number;
  assignableScopeKeys: string[];
  blocks: Array<{ block: CompiledBlock; condition?: CompiledCondition }>;
}

export interface RoleMatch {
  /** the Actions/DataActions entry that matched */
  pattern: string;
  /** set when the matching block carries an ABAC condition */
  condition?: string;
  conditionVersion?: string | null;
  /** true: no condition, or one that holds for this action whatever the attributes; undefined: depends on attributes */
  conditionValue: ConditionValue;
}

/** The GUID at the end of a role definition id (`/.../roleDefinitions/<guid>` or a bare GUID), lower-cased. */
export function roleGuidOf(roleDefinitionId: string): string {
  const i = roleDefinitionId.lastIndexOf('/');
  return (i < 0 ? roleDefinitionId : roleDefinitionId.slice(i + 1)).toLowerCase();
}

/**
 * How much a role grants, for ranking "which role would grant this?" least privilege first.
 * Counting patterns would rank Contributor (`*`, one pattern) as the smallest role there is, so
 * each pattern weighs by how many fixed segments stand before its wildcard: none (`*`, or a
 * leading wildcard then read) ~1e9, one (a provider) ~1e6, two (a resource type) ~1e3, more or
 * no wildcard at all 1.
 */
export function roleBreadth(def: RoleDefinition): number {
  let total = 0;
  for (const p of def.permissions) {
    for (const raw of [...(p.actions ?? []), ...(p.dataActions ?? [])]) {
      const star = raw.indexOf('*');
      if (star < 0) {
        total += 1;
        continue;
      }
      const fixedSegments = raw.slice(0, star).split('/').filter((s) => s.length > 0).length;
      total += 1000 ** Math.max(0, 3 - fixedSegments);
    }
  }
  return total;
}

/**
 * Compiled roles by definition object. Role definitions are values (the built-in catalog is
 * frozen and shared by every evaluator), so compiling one once per process is safe, and it
 * keeps the ~930 built-in roles from being recompiled for every permission-cache entry.
 */
const compiled = new WeakMap<RoleDefinition, CompiledRole>();

export function compileRole(def: RoleDefinition): CompiledRole {
  let role = compiled.get(def);
  if (!role) {
    role = compileRoleUncached(def);
    // only frozen definitions are memoised: a mutable one could change after compiling
    if (Object.isFrozen(def)) compiled.set(def, role);
  }
  return role;
}

function compileRoleUncached(def: RoleDefinition): CompiledRole {
  const label = `role ${JSON.stringify(def.roleName)} (${def.name})`;
  try {
    const blocks = def.permissions.map((p) => {
      const block = compileBlock(p);
      return block.condition ? { block, condition: compileCondition(block.condition) } : { block };
    });
    const size = roleBreadth(def);
    return {
      def,
      guid: roleGuidOf(def.name || def.id),
      builtIn: (def.roleType ?? '').toLowerCase() === 'builtinrole',
      size,
      assignableScopeKeys: def.assignableScopes.map(normalizeScope),
      blocks,
    };
  } catch (err) {
    if (err instanceof RbacInputError) throw new RbacDataError(`${label}: ${err.message}`);
    throw err;
  }
}

/**
 * Whether the role covers the action. A block whose condition is false for this action is
 * skipped; an unconditional match wins over a conditional one.
 */
export function matchRole(role: CompiledRole, actionLower: string, provider: string, data: boolean): RoleMatch | undefined {
  let conditional: RoleMatch | undefined;
  for (const { block, condition } of role.blocks) {
    const pattern = blockMatch(block, actionLower, provider, data);
    if (pattern === undefined) continue;
    if (!condition) return { pattern, conditionValue: true };
    const v = condition.test(actionLower);
    if (v === false) continue;
    const m: RoleMatch = { pattern, condition: block.condition!, conditionVersion: block.conditionVersion ?? null, conditionValue: v };
    if (v === true) return m;
    conditional ??= m;
  }
  return conditional;
}
