/**
 * "Which role would grant this?": catalog roles that cover an action without an ABAC
 * condition, assignable at the scope, built-in first and smallest first (size = number of
 * Actions + DataActions patterns), one entry per role GUID.
 *
 * An inverted index (exact patterns by action, wildcard patterns by provider) narrows the
 * catalog to candidates; each candidate is then confirmed with the full role match, so
 * NotActions and conditions are honoured exactly as in a check.
 */
import { compileLowerPattern, normalizeActionPattern, patternProvider, type LowerActionTest } from './action-pattern.ts';
import { matchRole, type CompiledRole } from './compiled-role.ts';
import type { RoleSuggestion } from './rbac-types.ts';

export interface RoleSuggester {
  suggest(actionLower: string, provider: string, data: boolean, ancestorKeys: readonly string[]): RoleSuggestion[];
}

const CACHE_LIMIT = 8192;

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

  const cache = new Map<string, number[]>();
  const matching = (a: string, provider: string, data: boolean): number[] => {
    const d = data ? 'd|' : 'c|';
    const key = d + a;
    const hit = cache.get(key);
    if (hit) return hit;
    const candidates = new Set<number>(exact.get(key));
    for (const e of byProvider.get(d + provider) ?? []) if (!candidates.has(e.idx) && e.test(a)) candidates.add(e.idx);
    for (const e of anyProvider) if (e.data === data && !candidates.has(e.idx) && e.test(a)) candidates.add(e.idx);
    const confirmed = [...candidates]
      .sort((x, y) => x - y)
      .filter((idx) => matchRole(ranked[idx]!, a, provider, data)?.conditionValue === true);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, confirmed);
    return confirmed;
  };

  return {
    suggest(a, provider, data, ancestorKeys) {
      const out: RoleSuggestion[] = [];
      if (limit <= 0) return out;
      for (const idx of matching(a, provider, data)) {
        const role = ranked[idx]!;
        if (!role.assignableScopeKeys.some((k) => ancestorKeys.includes(k))) continue;
        out.push({ roleDefinitionId: role.def.id, roleName: role.def.roleName, size: role.size, builtIn: role.builtIn });
        if (out.length >= limit) break;
      }
      return out;
    },
  };
}
