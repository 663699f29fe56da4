import { compileLowerActionPattern, isValidActionName, type LowerActionTest } from '../rbac/action-pattern.ts';
import { answerByAction } from './answers-by-action.ts';
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
  /** tests over the lower-cased action */
  actions: LowerActionTest[];
  dataActions: LowerActionTest[];
}

interface CompiledPolicy {
  rules: CompiledRule[];
  /** Answers by plane flag and lower-cased action (null: no rule forbids it); see answers-by-action.ts (issue 18). */
  answers: Map<string, GuardrailRule | null>;
}

const compiledByPolicy = new WeakMap<GuardrailsPolicy, CompiledPolicy>();

function compiled(policy: GuardrailsPolicy): CompiledPolicy {
  let out = compiledByPolicy.get(policy);
  if (!out) {
    // Content rules and `require` rules are find-content-rules.ts's: they do not forbid on the action alone.
    const rules = policy.rules.filter(isActionOnlyForbid).map((rule) => ({
      rule,
      actions: rule.actions.map(compileLowerActionPattern),
      dataActions: rule.dataActions.map(compileLowerActionPattern),
    }));
    out = { rules, answers: new Map() };
    compiledByPolicy.set(policy, out);
  }
  return out;
}

const CONTROL_FIRST = ['actions', 'dataActions'] as const;
const DATA_FIRST = ['dataActions', 'actions'] as const;

function match(rules: readonly CompiledRule[], actionLower: string, isDataAction: boolean): GuardrailRule | undefined {
  for (const list of isDataAction ? DATA_FIRST : CONTROL_FIRST) {
    for (const entry of rules) {
      for (const test of entry[list]) if (test(actionLower)) return entry.rule;
    }
  }
  return undefined;
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
  const policy = compiled(policies.guardrails);
  const actionLower = action.toLowerCase();
  const key = `${isDataAction ? 'data' : 'control'}:${actionLower}`;
  return answerByAction(policy.answers, key, () => match(policy.rules, actionLower, isDataAction) ?? null) ?? undefined;
}
