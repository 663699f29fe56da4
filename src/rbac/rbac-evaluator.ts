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
import { createRoleSuggester } from './role-suggestions.ts';
import { createManagementGroupIndex, parseScope, scopeAncestry, type ParsedScope } from './scope-path.ts';

/** The principal id Azure uses in deny assignments to mean "everyone". */
export const ALL_PRINCIPALS_ID = '00000000-0000-0000-0000-000000000000';

const PRINCIPAL_ID = /^[A-Za-z0-9._@-]{1,128}$/;
const SCOPE_CACHE_LIMIT = 16384;

interface CompiledAssignment {
  src: RoleAssignment;
  scope: string;
  role: CompiledRole;
  condition?: CompiledCondition;
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

export function createEvaluator(state: AuthorizationState, options: EvaluatorOptions = {}): Evaluator {
  const warnings: string[] = [];

  const roles = new Map<string, CompiledRole>();
  const compiledRoles = state.roles.map(compileRole);
  for (const r of compiledRoles) {
    if (roles.has(r.guid)) warnings.push(`role definition ${r.guid} appears more than once; the first is used`);
    else roles.set(r.guid, r);
  }

  // scope key -> principal key -> assignments made there to that principal
  const grantIndex = new Map<string, Map<string, CompiledAssignment[]>>();
  for (const a of state.assignments) {
    const parsed = scopeOf(`role assignment ${a.id}`, a.scope);
    const role = roles.get(roleGuidOf(a.roleDefinitionId));
    if (!role) {
      warnings.push(`role assignment ${a.id} refers to unknown role definition ${a.roleDefinitionId}; it grants nothing`);
      continue;
    }
    const compiled: CompiledAssignment = { src: a, scope: parsed.scope, role };
    if (a.condition) compiled.condition = compileCondition(a.condition);
    let byPrincipal = grantIndex.get(parsed.key);
    if (!byPrincipal) grantIndex.set(parsed.key, (byPrincipal = new Map()));
    push(byPrincipal, a.principalId.toLowerCase(), compiled);
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
  const suggester = createRoleSuggester(options.catalog ? options.catalog.map(compileRole) : compiledRoles, options.suggestionLimit ?? 10);

  const scopeCache = new Map<string, { parsed: ParsedScope; ancestors: string[] }>();
  const scopeInfo = (scope: string) => {
    let info = scopeCache.get(scope);
    if (!info) {
      const parsed = parseScope(scope);
      info = { parsed, ancestors: scopeAncestry(parsed, mgIndex) };
      if (scopeCache.size >= SCOPE_CACHE_LIMIT) scopeCache.clear();
      scopeCache.set(scope, info);
    }
    return info;
  };

  function check(req: CheckRequest): Decision {
    if (typeof req.principalId !== 'string' || !PRINCIPAL_ID.test(req.principalId)) {
      throw new RbacInputError('invalid principal id');
    }
    if (typeof req.action !== 'string' || !isValidActionName(req.action)) {
      throw new RbacInputError(`invalid action ${JSON.stringify(String(req.action).slice(0, 200))}`);
    }
    if (req.dataAction !== undefined && typeof req.dataAction !== 'boolean') throw new RbacInputError('dataAction must be a boolean');
    const { parsed, ancestors } = scopeInfo(req.scope);
    const a = req.action.toLowerCase();
    const provider = actionProvider(a);
    const data = req.dataAction === true;
    const principal = req.principalId.toLowerCase();
    const who = groups.get(principal) ?? [principal];

    const deniedBy: DenyExplanation[] = [];
    for (let i = 0; i < ancestors.length; i++) {
      const list = denyIndex.get(ancestors[i]!);
      if (!list) continue;
      for (const d of list) {
        if (i > 0 && d.src.doNotApplyToChildScopes) continue;
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
    for (const key of ancestors) {
      const byPrincipal = grantIndex.get(key);
      if (!byPrincipal) continue;
      for (let w = 0; w < who.length; w++) {
        const list = byPrincipal.get(who[w]!);
        if (!list) continue;
        for (const asg of list) {
          const m = matchRole(asg.role, a, provider, data);
          if (!m) continue;
          const av = asg.condition ? asg.condition.test(a) : true;
          if (av === false) continue;
          const g: GrantExplanation = {
            assignmentId: asg.src.id,
            assignmentScope: asg.scope,
            roleDefinitionId: asg.role.def.id,
            roleName: asg.role.def.roleName,
            viaPrincipalId: asg.src.principalId,
            viaGroup: w > 0,
            matchedPattern: m.pattern,
          };
          if (m.conditionValue === true && av === true) {
            if (m.condition || asg.condition) g.conditionNote = 'ABAC condition holds for this action whatever the request attributes';
            grantedBy.push(g);
            continue;
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
      }
    }

    const what = `${req.action}${data ? ' (data action)' : ''} at ${parsed.scope}`;
    if (deniedBy.length > 0) {
      const d = deniedBy[0]!;
      return {
        allowed: false,
        reason: 'denied-by-deny-assignment',
        message: `denied: deny assignment ${d.denyAssignmentName ?? d.denyAssignmentId} at ${d.scope} blocks ${what}`,
        grantedBy,
        deniedBy,
        conditionalGrants,
        wouldBeGrantedBy: [],
      };
    }
    if (grantedBy.length > 0) {
      const g = grantedBy[0]!;
      return {
        allowed: true,
        reason: 'granted',
        message: `allowed: ${what} granted by ${g.roleName} assigned at ${g.assignmentScope}${g.viaGroup ? ` to group ${g.viaPrincipalId}` : ''} (pattern ${g.matchedPattern})`,
        grantedBy,
        deniedBy,
        conditionalGrants,
        wouldBeGrantedBy: [],
      };
    }
    const wouldBeGrantedBy = suggester.suggest(a, provider, data, ancestors);
    const conditionalOnly = conditionalGrants.length > 0;
    return {
      allowed: false,
      reason: conditionalOnly ? 'only-conditional-grants' : 'no-matching-assignment',
      message: conditionalOnly
        ? `not allowed: ${what} is only granted under ABAC conditions Elevate cannot evaluate (${conditionalGrants.map((c) => c.roleName).join(', ')})`
        : `not allowed: no role assignment of ${req.principalId} or its groups grants ${what}`,
      grantedBy,
      deniedBy,
      conditionalGrants,
      wouldBeGrantedBy,
    };
  }

  return { check, warnings };
}
