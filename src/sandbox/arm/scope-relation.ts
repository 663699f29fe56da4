import { createManagementGroupIndex, parseScope, scopeAncestry } from '../../rbac/scope-path.ts';
import type { ArmState } from '../state/arm-state.ts';

/**
 * Where an assignment's scope sits relative to a requested scope: the same, above it (inherited
 * by it, management groups included) or below it. ARM's list filters are defined in these terms.
 */
export type ScopeRelation = 'same' | 'above' | 'below' | 'unrelated';

export function scopeRelator(state: ArmState): (assignmentScope: string, requestScope: string) => ScopeRelation {
  const index = createManagementGroupIndex(state.hierarchy());
  const ancestry = new Map<string, string[]>();
  const keysOf = (scope: string) => {
    let a = ancestry.get(scope);
    if (!a) {
      a = scopeAncestry(parseScope(scope), index);
      ancestry.set(scope, a);
    }
    return a;
  };
  return (assignmentScope, requestScope) => {
    const a = keysOf(assignmentScope);
    const r = keysOf(requestScope);
    if (a[0] === r[0]) return 'same';
    if (r.includes(a[0]!)) return 'above';
    if (a.includes(r[0]!)) return 'below';
    return 'unrelated';
  };
}
