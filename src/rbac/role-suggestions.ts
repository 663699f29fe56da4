/**
 * "Which role would grant this?": catalog roles that cover an action without an ABAC
 * condition, assignable at the scope, built-in first and least privilege first (size =
 * `roleBreadth`), one entry per role GUID.
 *
 * An inverted index (exact patterns by action, wildcard patterns by provider) narrows the
 * catalog to candidates; each candidate is then confirmed with the full role match, so
 * NotActions and conditions are honoured exactly as in a check.
 */
import { compileLowerPattern, normalizeActionPattern, patternProvider, type LowerActionTest } from './action-pattern.ts';
import { compileRole, matchRole, type CompiledRole } from './compiled-role.ts';
import type { RoleDefinition, RoleSuggestion } from './rbac-types.ts';

export interface RoleSuggester {
  suggest(actionLower: string, provider: string, data: boolean, ancestorKeys: readonly string[]): RoleSuggestion[];
}

const CACHE_LIMIT = 65536;

/** Builds the suggester on its first question: a check that grants or denies never needs it. */
export function lazyRoleSuggester(build: () => RoleSuggester): RoleSuggester {
  let built: RoleSuggester | undefined;
  return { suggest: (a, provider, data, keys) => (built ??= build()).suggest(a, provider, data, keys) };
}

const shared = new WeakMap<readonly RoleDefinition[], Map<number, RoleSuggester>>();

/**
 * One suggester per frozen catalog (the built-in one, a loaded roles file) and limit, shared by
 * every evaluator over it: its index and its per-action answers are built once per process, not
 * once per permission-cache entry. A catalog that is not frozen gets its own, lazily.
 */
export function catalogRoleSuggester(catalog: readonly RoleDefinition[], limit = 10): RoleSuggester {
  const make = () => lazyRoleSuggester(() => createRoleSuggester(catalog.map(compileRole), limit));
  if (!Object.isFrozen(catalog)) return make();
  let byLimit = shared.get(catalog);
  if (!byLimit) shared.set(catalog, (byLimit = new Map()));
  let suggester = byLimit.get(limit);
  if (!suggester) byLimit.set(limit, (suggester = make()));
  return suggester;
}

export function createRoleSuggester(catalog: readonly CompiledRole[], limit = 10): RoleSuggester {
  const seen = new Set<string>();
  const ranked = catalog
    .filter((r) => r.size > 0 && !seen.has(r.guid) && (seen.add(r.guid), true))
    .sort(
      (a, b) =>
        Number(b.builtIn) - Number(a.builtIn) ||
        a.size - b.size ||
        a.def.roleName.localeCompare(b.def.roleName, 'en') ||
        a.guid.localeCompare(b.guid),
    );

  const exact = new Map<string, number[]>();
  const byProvider = new Map<string, Array<{ test: LowerActionTest; idx: number }>>();
  const anyProvider: Array<{ test: LowerActionTest; idx: number; data: boolean }> = [];
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  ranked.forEach((role, idx) => {
    for (const p of role.def.permissions) {
      for (const [data, list] of [[false, p.actions ?? []], [true, p.dataActions ?? []]] as const) {
        for (const raw of list) {
          const pat = normalizeActionPattern(raw);
          const d = data ? 'd|' : 'c|';
          if (!pat.includes('*')) push(exact, d + pat, idx);
          else {
            const provider = patternProvider(pat);
            const test = compileLowerPattern(pat);
            if (provider === undefined) anyProvider.push({ test, idx, data });
            else push(byProvider, d + provider, { test, idx });
          }
        }
      }
    }
  });

  // One frozen suggestion object per role, shared by every decision that lists it: a decision
  // is a result value, and sharing keeps a denial from allocating ten objects.
  const entries = ranked.map((role) => ({
    everywhere: role.assignableScopeKeys.includes('/'),
    keys: role.assignableScopeKeys,
    suggestion: Object.freeze({ roleDefinitionId: role.def.id, roleName: role.def.roleName, size: role.size, builtIn: role.builtIn }) as RoleSuggestion,
  }));

  // Confirmed matches per action, in rank order. The list stops once `limit` roles assignable
  // everywhere (at `/`) are in it: nothing ranked after them can make a top-`limit` list.
  // Keyed by the lower-cased action itself (one map per plane) so a hit costs one lookup.
  const caches = { control: new Map<string, number[]>(), data: new Map<string, number[]>() };
  const mark = new Uint32Array(ranked.length);
  let epoch = 0;
  const matching = (a: string, provider: string, data: boolean): number[] => {
    const cache = data ? caches.data : caches.control;
    const hit = cache.get(a);
    if (hit) return hit;
    const d = data ? 'd|' : 'c|';
    epoch++;
    const candidates: number[] = [];
    const add = (idx: number) => {
      if (mark[idx] !== epoch) {
        mark[idx] = epoch;
        candidates.push(idx);
      }
    };
    for (const idx of exact.get(d + a) ?? []) add(idx);
    for (const e of byProvider.get(d + provider) ?? []) if (mark[e.idx] !== epoch && e.test(a)) add(e.idx);
    for (const e of anyProvider) if (e.data === data && mark[e.idx] !== epoch && e.test(a)) add(e.idx);
    candidates.sort((x, y) => x - y);
    const confirmed: number[] = [];
    let everywhere = 0;
    for (const idx of candidates) {
      if (matchRole(ranked[idx]!, a, provider, data)?.conditionValue !== true) continue;
      confirmed.push(idx);
      if (entries[idx]!.everywhere && ++everywhere >= limit) break;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(a, confirmed);
    return confirmed;
  };

  return {
    suggest(a, provider, data, ancestorKeys) {
      const out: RoleSuggestion[] = [];
      if (limit <= 0) return out;
      for (const idx of matching(a, provider, data)) {
        const e = entries[idx]!;
        if (!e.everywhere && !e.keys.some((k) => ancestorKeys.includes(k))) continue;
        out.push(e.suggestion);
        if (out.length >= limit) break;
      }
      return out;
    },
  };
}
