/**
 * An independent encoding of Azure RBAC in Cedar (cedar-wasm), used to judge src/rbac from the
 * outside: the differential test (test/rbac/rbac-cedar-differential.test.ts) and the evaluator
 * benchmark (bench/rbac-evaluator.bench.ts) both build on it. It shares nothing with src/rbac
 * but scope parsing (`parseScope`/`scopeAncestry`, which only name scopes and their ancestors).
 *
 * - Role assignments: one `permit` template per distinct role permission block (and condition
 *   guard), linked per assignment with `principal in ?principal` and `resource in ?resource`
 *   over an entity hierarchy (principal -> its groups; scope -> every ancestor scope, management
 *   groups included).
 * - Action patterns: `context.action like …` (lower case); each `/*` may match nothing, so it
 *   expands to both of its forms. NotActions/NotDataActions are `&& !(…)`. Long `||` chains are
 *   balanced trees, since Cedar evaluates recursively and a flat chain of hundreds overflows.
 * - Deny assignments: `forbid`, with `unless { principal in … }` for exclusions (so a group
 *   exclusion covers its members) and `resource ==` when they do not apply to child scopes.
 * - ABAC conditions: a block counts only where its condition provably holds; for the
 *   `ActionMatches`-guarded shapes the built-in roles use, that is when the action matches none
 *   of the guarded actions. A condition without such a guard never grants.
 * https://learn.microsoft.com/en-us/azure/role-based-access-control/overview#how-azure-rbac-determines-if-a-user-has-access-to-a-resource
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { ALL_PRINCIPALS_ID } from '../../src/rbac/rbac-evaluator.ts';
import type { AuthorizationState, CheckRequest } from '../../src/rbac/rbac-types.ts';
import { createManagementGroupIndex, parseScope, scopeAncestry } from '../../src/rbac/scope-path.ts';

export { cedar };

type Link = { templateId: string; newId: string; values: Record<string, { type: string; id: string }> };
export type CedarPolicySet = { staticPolicies: string; templates: Record<string, string>; templateLinks: Link[] };

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** A `/*` may match nothing, so each one expands to two `like` patterns: kept, or removed. */
function likeVariants(pattern: string): string[] {
  const parts = pattern.trim().toLowerCase().split('/*');
  let out = [parts[0]!];
  for (const part of parts.slice(1)) out = out.flatMap((prefix) => [`${prefix}/*${part}`, `${prefix}${part}`]);
  return [...new Set(out)];
}

const orTree = (xs: string[]): string => (xs.length === 1 ? xs[0]! : `(${orTree(xs.slice(0, xs.length >> 1))} || ${orTree(xs.slice(xs.length >> 1))})`);

/**
 * Any of the patterns matches `context.action`. Patterns are grouped by their provider (the text
 * before the first `/`, when it has no wildcard) behind `context.provider == …`, so Cedar, which
 * short-circuits `&&`, only runs the `like`s of the request's provider: a pattern without a
 * wildcard in its first segment can only match actions of that provider.
 */
function anyLike(patterns: readonly string[]): string {
  const byProvider = new Map<string, string[]>();
  for (const p of [...new Set(patterns.flatMap(likeVariants))]) {
    const first = p.split('/')[0]!;
    push(byProvider, first.includes('*') ? '*' : first, p.includes('*') ? `context.action like ${q(p)}` : `context.action == ${q(p)}`);
  }
  const groups = [...byProvider].map(([provider, tests]) => (provider === '*' ? orTree(tests) : `(context.provider == ${q(provider)} && ${orTree(tests)})`));
  return groups.length === 0 ? 'false' : `(${orTree(groups)})`;
}

const actionMatchesTargets = (condition: string) => [...condition.matchAll(/ActionMatches\{'([^']+)'\}/g)].map((m) => m[1]!);

export interface CedarRbac {
  /** distinct permit templates, template links (one per assignment block), forbid policies */
  readonly counts: { templates: number; links: number; forbids: number };
  /** The policy set for some principals (each with its groups), or all of it. */
  policySet(who: readonly string[] | 'all'): CedarPolicySet;
  /** The principal (lower case) followed by its groups. */
  whoOf(principalId: string): string[];
  /** A stateful authorization call for `r` against a preparsed policy set. */
  call(r: CheckRequest, policySetId: string): cedar.StatefulAuthorizationCall;
}

export function encodeRbacAsCedar(state: AuthorizationState): CedarRbac {
  const roleById = new Map(state.roles.map((r) => [r.name.toLowerCase(), r]));
  const key = (s: string) => parseScope(s).key;
  const templates = new Map<string, string>(); // body -> template id
  const linksOf = new Map<string, Link[]>(); // principal (lower-case) -> its links
  let linkCount = 0;
  for (const [n, a] of state.assignments.entries()) {
    const role = roleById.get(a.roleDefinitionId.split('/').pop()!.toLowerCase());
    if (!role) continue;
    for (const b of role.permissions) {
      const guards = [...(b.condition ? actionMatchesTargets(b.condition) : []), ...(a.condition ? actionMatchesTargets(a.condition) : [])];
      if ((b.condition && actionMatchesTargets(b.condition).length === 0) || (a.condition && actionMatchesTargets(a.condition).length === 0)) continue;
      const unless = guards.length > 0 ? ` && !${anyLike(guards)}` : '';
      for (const [data, yes, no] of [[false, b.actions, b.notActions], [true, b.dataActions, b.notDataActions]] as const) {
        if (yes.length === 0) continue;
        const not = no.length > 0 ? ` && !${anyLike(no)}` : '';
        const body = `permit(principal in ?principal, action, resource in ?resource) when { context.isData == ${data} && ${anyLike(yes)}${not}${unless} };`;
        let templateId = templates.get(body);
        if (!templateId) templates.set(body, (templateId = `t${templates.size}`));
        const principalId = a.principalId.toLowerCase();
        push(linksOf, principalId, { templateId, newId: `a${n}-${linkCount++}`, values: { '?principal': { type: 'P', id: principalId }, '?resource': { type: 'Scope', id: key(a.scope) } } });
      }
    }
  }
  const forbids: Array<{ text: string; principals: string[] | 'all' }> = [];
  for (const d of state.denyAssignments) {
    const everyone = d.principals.some((p) => p.id === ALL_PRINCIPALS_ID);
    const res = d.doNotApplyToChildScopes ? `resource == Scope::${q(key(d.scope))}` : `resource in Scope::${q(key(d.scope))}`;
    const unless = (d.excludePrincipals ?? []).map((p) => `principal in P::${q(p.id.toLowerCase())}`).join(' || ');
    for (const b of d.permissions) {
      for (const [data, yes, no] of [[false, b.actions, b.notActions], [true, b.dataActions, b.notDataActions]] as const) {
        if (yes.length === 0) continue;
        const not = no.length > 0 ? ` && !${anyLike(no)}` : '';
        const body = `when { context.isData == ${data} && ${anyLike(yes)}${not} }${unless ? ` unless { ${unless} }` : ''};`;
        if (everyone) forbids.push({ text: `forbid(principal, action, ${res}) ${body}`, principals: 'all' });
        else for (const p of d.principals) forbids.push({ text: `forbid(principal in P::${q(p.id.toLowerCase())}, action, ${res}) ${body}`, principals: [p.id.toLowerCase()] });
      }
    }
  }
  const templateText = new Map([...templates].map(([body, id]) => [id, body]));
  const groups = new Map(Object.entries(state.groups).map(([p, gs]) => [p.toLowerCase(), gs.map((g) => g.toLowerCase())]));
  const mgIndex = createManagementGroupIndex(state.hierarchy);
  const ancestry = new Map<string, string[]>();
  const ancestorsOf = (scope: string) => {
    let a = ancestry.get(scope);
    if (!a) ancestry.set(scope, (a = scopeAncestry(parseScope(scope), mgIndex)));
    return a;
  };

  return {
    counts: { templates: templates.size, links: linkCount, forbids: forbids.length },
    policySet(who) {
      const links = who === 'all' ? [...linksOf.values()].flat() : who.flatMap((w) => linksOf.get(w) ?? []);
      const used = new Set(links.map((l) => l.templateId));
      return {
        staticPolicies: forbids.filter((f) => who === 'all' || f.principals === 'all' || f.principals.some((p) => who.includes(p))).map((f) => f.text).join('\n'),
        templates: Object.fromEntries([...used].map((id) => [id, templateText.get(id)!])),
        templateLinks: links,
      };
    },
    whoOf: (principal) => [principal.toLowerCase(), ...(groups.get(principal.toLowerCase()) ?? [])],
    call(r, policySetId) {
      const p = r.principalId.toLowerCase();
      const ancestors = ancestorsOf(r.scope);
      return {
        principal: { type: 'P', id: p },
        action: { type: 'Action', id: 'check' },
        resource: { type: 'Scope', id: ancestors[0]! },
        context: { action: r.action.toLowerCase(), provider: r.action.toLowerCase().split('/')[0]!, isData: r.dataAction === true },
        preparsedPolicySetId: policySetId,
        entities: [
          { uid: { type: 'P', id: p }, attrs: {}, parents: (groups.get(p) ?? []).map((g) => ({ type: 'P', id: g })) },
          { uid: { type: 'Scope', id: ancestors[0]! }, attrs: {}, parents: ancestors.slice(1).map((a) => ({ type: 'Scope', id: a })) },
        ],
      };
    },
  };
}

/** Preparses (or replaces) a policy set under `id`; throws when Cedar rejects it. */
export function preparseCedar(id: string, set: CedarPolicySet): void {
  const r = cedar.preparsePolicySet(id, set);
  if (r.type !== 'success') throw new Error(`Cedar rejected policy set ${id}: ${JSON.stringify(r.errors[0])}`);
}

/** Cedar's answer; throws when the call or any policy errs (an encoding bug, not a "deny"). */
export function cedarAllows(call: cedar.StatefulAuthorizationCall): boolean {
  const r = cedar.statefulIsAuthorized(call);
  if (r.type !== 'success') throw new Error(`cedar failed: ${JSON.stringify(r.errors[0])}`);
  if (r.response.diagnostics.errors.length > 0) throw new Error(`cedar policy error: ${JSON.stringify(r.response.diagnostics.errors[0])}`);
  return r.response.decision === 'allow';
}
