/**
 * The Azure RBAC evaluator: a pure function of the authorization state, compiled once into
 * indexes so that a check only touches the assignments and deny assignments that can apply.
 *
 * Semantics (as Azure applies them): assignments are inherited downwards (management groups
 * through `state.hierarchy`, then subscription, resource group, resource); a principal gets
 * what its groups get; deny assignments win over every grant; grants whose ABAC condition
 * depends on attributes Elevate does not have are reported but never counted.
 */
import { compileCondition, type CompiledCondition } from './abac-condition.ts';
import { actionProvider, isValidActionName } from './action-pattern.ts';
import { compileRole, matchRole, roleGuidOf, type CompiledRole } from './compiled-role.ts';
import { blockMatch, compileBlock, type CompiledBlock } from './permission-block.ts';
import { RbacDataError, RbacInputError } from './rbac-errors.ts';
import type {
  AuthorizationState,
  RoleDefinition,
  CheckRequest,
  ConditionalExplanation,
  Decision,
  DenyAssignment,
  DenyExplanation,
  Evaluator,
  EvaluatorOptions,
  GrantExplanation,
  RoleAssignment,
} from './rbac-types.ts';
import { decide } from './rbac-decision.ts';
import { catalogRoleSuggester, createRoleSuggester, lazyRoleSuggester } from './role-suggestions.ts';
import { createManagementGroupIndex, parseScope, scopeAncestry, type ParsedScope } from './scope-path.ts';

/** The principal id Azure uses in deny assignments to mean "everyone". */
export const ALL_PRINCIPALS_ID = '00000000-0000-0000-0000-000000000000';

const PRINCIPAL_ID = /^[A-Za-z0-9._@-]{1,128}$/;
const CACHE_LIMIT = 65536;

interface CompiledAssignment {
  src: RoleAssignment;
  scope: string;
  /** small integer standing for the scope key, compared instead of strings in checks */
  scopeId: number;
  role: CompiledRole;
  condition?: CompiledCondition;
}

/**
 * A principal's assignments: a plain list when it has few (scanned, comparing scope ids), or
 * indexed by scope id when it has many, so a principal holding thousands of assignments
 * costs one lookup per ancestor rather than a scan.
 */
type PrincipalGrants = {
  list: CompiledAssignment[];
  /** list[i].scopeId, packed: the scan touches one small array instead of every assignment object */
  scopeIdsOf: Int32Array;
  byScope?: Map<number, CompiledAssignment[]>;
};
const INDEX_PRINCIPAL_ABOVE = 48;
/** principals (with their groups) holding at most this many assignments get a flattened list */
const FLATTEN_MAX = 128;
const PRINCIPAL_CACHE_LIMIT = 16384;

interface PrincipalInfo {
  /** the principal and its groups, lower-cased, the principal first */
  who: string[];
  flat?: { ids: Int32Array; assignments: CompiledAssignment[]; viaGroup: Uint8Array };
}

interface ScopeInfo {
  parsed: ParsedScope;
  ancestors: string[];
  /** deny assignments at the scope (self) or above it */
  denies: Array<{ self: boolean; list: CompiledDeny[] }>;
  /** ids of the ancestors that carry any role assignment, most specific first */
  grantScopeIds: number[];
}

interface CompiledDeny {
  src: DenyAssignment;
  scope: string;
  blocks: CompiledBlock[];
  principals: Set<string>;
  excluded: Set<string>;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function scopeOf(what: string, scope: string): ParsedScope {
  try {
    return parseScope(scope);
  } catch (err) {
    throw new RbacDataError(`${what}: ${(err as Error).message}`);
  }
}

/** What one check has found so far, and the request it is about. */
interface Found {
  a: string;
  provider: string;
  data: boolean;
  grantedBy: GrantExplanation[];
  conditionalGrants: ConditionalExplanation[];
  /** rank of each grant in grantedBy (position of its assignment's scope in the ancestry) */
  ranks: number[];
}

/**
 * Counts one role assignment at a scope of the request's ancestry towards the check. A function
 * of the module rather than a closure made in each check: the service runs under tsx, whose
 * esbuild transform (keepNames) renames a closure kept in a variable with Object.defineProperty
 * every time it is created (issue 18).
 */
function consider(found: Found, asg: CompiledAssignment, viaGroup: boolean, rank: number): void {
  const { a, provider, data, grantedBy, conditionalGrants, ranks } = found;
  const m = matchRole(asg.role, a, provider, data);
  if (!m) return;
  const av = asg.condition ? asg.condition.test(a) : true;
  if (av === false) return;
  const g: GrantExplanation = {
    assignmentId: asg.src.id,
    assignmentScope: asg.scope,
    roleDefinitionId: asg.role.def.id,
    roleName: asg.role.def.roleName,
    viaPrincipalId: asg.src.principalId,
    viaGroup,
    matchedPattern: m.pattern,
  };
  if (m.conditionValue === true && av === true) {
    if (m.condition || asg.condition) g.conditionNote = 'ABAC condition holds for this action whatever the request attributes';
    let at = grantedBy.length;
    while (at > 0 && ranks[at - 1]! > rank) at--;
    grantedBy.splice(at, 0, g);
    ranks.splice(at, 0, rank);
    return;
  }
  const unknown: string[] = [];
  if (m.conditionValue === undefined) unknown.push(m.condition!);
  if (av === undefined) unknown.push(asg.src.condition!);
  conditionalGrants.push({
    ...g,
    condition: unknown.length === 1 ? unknown[0]! : unknown.map((c) => `(${c})`).join(' AND '),
    conditionVersion: av === undefined ? (asg.src.conditionVersion ?? null) : (m.conditionVersion ?? null),
    note: `ABAC condition on the ${av === undefined && m.conditionValue === undefined ? 'role assignment and role definition' : av === undefined ? 'role assignment' : 'role definition'} depends on request or resource attributes Elevate cannot evaluate; not counted as a grant`,
  });
}

export function createEvaluator(state: AuthorizationState, options: EvaluatorOptions = {}): Evaluator {
  const warnings: string[] = [];

  // Definitions by GUID. A frozen definition (a loaded catalog: the ~930 built-in roles) is
  // compiled when an assignment first uses it, and once per process (compileRole memoises it);
  // any other is compiled now, so a malformed role fails here rather than in a later check.
  const defs = new Map<string, RoleDefinition>();
  const roles = new Map<string, CompiledRole>();
  for (const def of state.roles) {
    const guid = roleGuidOf(def.name || def.id);
    const compiled = Object.isFrozen(def) ? undefined : compileRole(def);
    if (defs.has(guid)) {
      warnings.push(`role definition ${guid} appears more than once; the first is used`);
      continue;
    }
    defs.set(guid, def);
    if (compiled) roles.set(guid, compiled);
  }
  const roleFor = (guid: string): CompiledRole | undefined => {
    let role = roles.get(guid);
    if (!role) {
      const def = defs.get(guid);
      if (!def) return undefined;
      roles.set(guid, (role = compileRole(def)));
    }
    return role;
  };

  // principal key -> its assignments; scope keys of assignments -> small ids
  const scopeIds = new Map<string, number>();
  const grantIndex = new Map<string, PrincipalGrants>();
  for (const a of state.assignments) {
    const parsed = scopeOf(`role assignment ${a.id}`, a.scope);
    const role = roleFor(roleGuidOf(a.roleDefinitionId));
    if (!role) {
      warnings.push(`role assignment ${a.id} refers to unknown role definition ${a.roleDefinitionId}; it grants nothing`);
      continue;
    }
    let scopeId = scopeIds.get(parsed.key);
    if (scopeId === undefined) scopeIds.set(parsed.key, (scopeId = scopeIds.size));
    const compiled: CompiledAssignment = { src: a, scope: parsed.scope, scopeId, role };
    if (a.condition) compiled.condition = compileCondition(a.condition);
    const principal = a.principalId.toLowerCase();
    const pg = grantIndex.get(principal);
    if (pg) pg.list.push(compiled);
    else grantIndex.set(principal, { list: [compiled], scopeIdsOf: new Int32Array(0) });
  }
  for (const pg of grantIndex.values()) {
    pg.scopeIdsOf = Int32Array.from(pg.list, (asg) => asg.scopeId);
    if (pg.list.length <= INDEX_PRINCIPAL_ABOVE) continue;
    pg.byScope = new Map();
    for (const asg of pg.list) push(pg.byScope, asg.scopeId, asg);
  }

  const denyIndex = new Map<string, CompiledDeny[]>();
  for (const d of state.denyAssignments) {
    const parsed = scopeOf(`deny assignment ${d.id}`, d.scope);
    let blocks: CompiledBlock[];
    try {
      blocks = d.permissions.map(compileBlock);
    } catch (err) {
      if (err instanceof RbacInputError) throw new RbacDataError(`deny assignment ${d.id}: ${err.message}`);
      throw err;
    }
    push(denyIndex, parsed.key, {
      src: d,
      scope: parsed.scope,
      blocks,
      principals: new Set(d.principals.map((p) => p.id.toLowerCase())),
      excluded: new Set((d.excludePrincipals ?? []).map((p) => p.id.toLowerCase())),
    });
  }

  const groups = new Map<string, string[]>();
  for (const [principal, ids] of Object.entries(state.groups)) {
    const self = principal.toLowerCase();
    const all = [self, ...ids.map((g) => g.toLowerCase())];
    groups.set(self, [...new Set(all)]);
  }

  let mgIndex: ReturnType<typeof createManagementGroupIndex>;
  try {
    mgIndex = createManagementGroupIndex(state.hierarchy);
  } catch (err) {
    throw new RbacDataError(`hierarchy: ${(err as Error).message}`);
  }
  const limit = options.suggestionLimit ?? 10;
  const suggester = options.catalog ? catalogRoleSuggester(options.catalog, limit) : lazyRoleSuggester(() => createRoleSuggester(state.roles.map(compileRole), limit));

  // Scopes and principals repeat heavily, so what a check derives from them is memoised:
  // validation, ancestry, which ancestors carry grants or denies at all, group expansion.
  // Bounded: cleared when full.
  const bounded = <V>(m: Map<string, V>, k: string, v: V) => {
    if (m.size >= CACHE_LIMIT) m.clear();
    m.set(k, v);
    return v;
  };
  const scopeCache = new Map<string, ScopeInfo>();
  const keepScope = options.keepScope ?? (() => true);
  const scopeInfo = (scope: string): ScopeInfo => {
    const hit = scopeCache.get(scope);
    if (hit) return hit;
    const parsed = parseScope(scope);
    const ancestors = scopeAncestry(parsed, mgIndex);
    const denies: ScopeInfo['denies'] = [];
    const grantScopeIds: number[] = [];
    ancestors.forEach((k, i) => {
      const d = denyIndex.get(k);
      if (d) denies.push({ self: i === 0, list: d });
      const id = scopeIds.get(k);
      if (id !== undefined) grantScopeIds.push(id);
    });
    const info = { parsed, ancestors, denies, grantScopeIds };
    return keepScope(scope) ? bounded(scopeCache, scope, info) : info;
  };
  // Agents ask about few distinct actions, so validating and lower-casing each once pays.
  const actionCache = new Map<string, { lower: string; provider: string }>();
  const actionInfo = (action: string) => {
    const hit = actionCache.get(action);
    if (hit) return hit;
    if (typeof action !== 'string' || !isValidActionName(action)) {
      throw new RbacInputError(`invalid action ${JSON.stringify(String(action).slice(0, 200))}`);
    }
    const lower = action.toLowerCase();
    return bounded(actionCache, action, { lower, provider: actionProvider(lower) });
  };
  // A principal and its groups, with (when small enough) all their assignments flattened into
  // one packed list, so a check scans one array instead of chasing one list per group.
  const principalCache = new Map<string, PrincipalInfo>();
  const principalsOf = (principalId: string): PrincipalInfo => {
    const hit = principalCache.get(principalId);
    if (hit) return hit;
    if (typeof principalId !== 'string' || !PRINCIPAL_ID.test(principalId)) throw new RbacInputError('invalid principal id');
    const p = principalId.toLowerCase();
    const who = groups.get(p) ?? [p];
    const lists = who.map((w) => grantIndex.get(w));
    const total = lists.reduce((n, pg) => n + (pg?.list.length ?? 0), 0);
    const info: PrincipalInfo = { who };
    if (total <= FLATTEN_MAX) {
      const flat = { ids: new Int32Array(total), assignments: [] as CompiledAssignment[], viaGroup: new Uint8Array(total) };
      lists.forEach((pg, w) => {
        for (const asg of pg?.list ?? []) {
          const i = flat.assignments.push(asg) - 1;
          flat.ids[i] = asg.scopeId;
          flat.viaGroup[i] = w > 0 ? 1 : 0;
        }
      });
      info.flat = flat;
    }
    if (principalCache.size >= PRINCIPAL_CACHE_LIMIT) principalCache.clear();
    principalCache.set(principalId, info);
    return info;
  };

  // scratch space for check(), which is synchronous and never re-entered
  const scopeEpoch = new Int32Array(scopeIds.size);
  const scopeRank = new Int32Array(scopeIds.size);
  let epoch = 0;

  function check(req: CheckRequest): Decision {
    const { who, flat } = principalsOf(req.principalId);
    const { lower: a, provider } = actionInfo(req.action);
    if (req.dataAction !== undefined && typeof req.dataAction !== 'boolean') throw new RbacInputError('dataAction must be a boolean');
    const { parsed, ancestors, denies, grantScopeIds } = scopeInfo(req.scope);
    const data = req.dataAction === true;

    const deniedBy: DenyExplanation[] = [];
    for (const { self, list } of denies) {
      for (const d of list) {
        if (!self && d.src.doNotApplyToChildScopes) continue;
        const via = d.principals.has(ALL_PRINCIPALS_ID) ? ALL_PRINCIPALS_ID : who.find((p) => d.principals.has(p));
        if (via === undefined || who.some((p) => d.excluded.has(p))) continue;
        for (const b of d.blocks) {
          const pattern = blockMatch(b, a, provider, data);
          if (pattern === undefined) continue;
          const e: DenyExplanation = { denyAssignmentId: d.src.id, scope: d.scope, matchedPattern: pattern, viaPrincipalId: via };
          if (d.src.denyAssignmentName) e.denyAssignmentName = d.src.denyAssignmentName;
          deniedBy.push(e);
          break;
        }
      }
    }

    const grantedBy: GrantExplanation[] = [];
    const conditionalGrants: ConditionalExplanation[] = [];
    // grants are kept most specific first (rank = position of the assignment's scope in the ancestry)
    const ranks: number[] = [];
    const found: Found = { a, provider, data, grantedBy, conditionalGrants, ranks };
    if (grantScopeIds.length > 0) {
      // mark this check's ancestor scopes so testing an assignment's scope is one array read
      epoch = epoch === 0x7fffffff ? 1 : epoch + 1;
      if (epoch === 1) scopeEpoch.fill(0);
      grantScopeIds.forEach((id, rank) => {
        scopeEpoch[id] = epoch;
        scopeRank[id] = rank;
      });
      if (flat) {
        const ids = flat.ids;
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i]!;
          if (scopeEpoch[id] === epoch) consider(found, flat.assignments[i]!, flat.viaGroup[i] === 1, scopeRank[id]!);
        }
      } else for (let w = 0; w < who.length; w++) {
        const pg = grantIndex.get(who[w]!);
        if (!pg) continue;
        if (pg.byScope) {
          grantScopeIds.forEach((id, rank) => {
            for (const asg of pg.byScope!.get(id) ?? []) consider(found, asg, w > 0, rank);
          });
        } else {
          const ids = pg.scopeIdsOf;
          for (let i = 0; i < ids.length; i++) {
            const id = ids[i]!;
            if (scopeEpoch[id] === epoch) consider(found, pg.list[i]!, w > 0, scopeRank[id]!);
          }
        }
      }
    }

    const explained = { what: `${req.action}${data ? ' (data action)' : ''} at ${parsed.scope}`, principalId: req.principalId, grantedBy, deniedBy, conditionalGrants };
    // suggestions only help when nothing blocks or already grants the action
    return decide(explained, deniedBy.length > 0 || grantedBy.length > 0 ? [] : suggester.suggest(a, provider, data, ancestors));
  }

  return { check, warnings };
}
