import { compileActionPattern, isValidActionName } from '../rbac/action-pattern.ts';
import { isActionOnlyForbid, type GuardrailRule, type GuardrailsPolicy } from './guardrails-schema.ts';

/**
 * Returned for an action string that is not a well-formed Azure operation name (wildcards,
 * whitespace, non-ASCII look-alikes...). Such a string could dodge a pattern that the operation
 * it stands for would match, so it is refused rather than guessed at.
 */
export const MALFORMED_ACTION_RULE: GuardrailRule = Object.freeze({
  id: 'malformed-action',
  reason: 'not a well-formed Azure operation name (Namespace/type/operation, no wildcards or spaces); refused rather than guessed at',
  actions: [],
  dataActions: [],
});

interface CompiledRule {
  rule: GuardrailRule;
  actions: ((action: string) => boolean)[];
  dataActions: ((action: string) => boolean)[];
}

const compiledByPolicy = new WeakMap<GuardrailsPolicy, CompiledRule[]>();

function compiled(policy: GuardrailsPolicy): CompiledRule[] {
  let rules = compiledByPolicy.get(policy);
  if (!rules) {
    // Content rules and `require` rules are find-content-rules.ts's: they do not forbid on the action alone.
    rules = policy.rules.filter(isActionOnlyForbid).map((rule) => ({
      rule,
      actions: rule.actions.map(compileActionPattern),
      dataActions: rule.dataActions.map(compileActionPattern),
    }));
    compiledByPolicy.set(policy, rules);
  }
  return rules;
}

/**
 * The guardrail that forbids `action`, or undefined when none does. Matching is the RBAC
 * matcher's: case-insensitive, `*` across segments, so `Microsoft.Authorization/*\/write` covers
 * `Microsoft.Authorization/roleAssignments/write`.
 *
 * `isDataAction` picks which list is tried first, but the other list is tried too: the flag comes
 * with the request, and a caller that mislabels a data action must not slip past a data-action rule.
 * Control-plane and data-plane operation names do not collide in Azure, so this costs nothing.
 */
export function findGuardrail(
  action: string,
  isDataAction: boolean,
  policies: { guardrails: GuardrailsPolicy },
): GuardrailRule | undefined {
  if (typeof action !== 'string' || !isValidActionName(action)) return MALFORMED_ACTION_RULE;
  const rules = compiled(policies.guardrails);
  const lists = isDataAction ? (['dataActions', 'actions'] as const) : (['actions', 'dataActions'] as const);
  for (const list of lists) {
    for (const entry of rules) {
      if (entry[list].some((matches) => matches(action))) return entry.rule;
    }
  }
  return undefined;
}
