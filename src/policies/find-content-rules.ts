/**
 * The guardrail rules that are more than "this action is forbidden": rules with a CEL condition
 * over the request (content rules) and rules that hold a request for more people (`require`).
 *
 * Fast path: rules are indexed by action, as findGuardrail's are; the list of candidate rules
 * for an action is computed once and remembered, so a request whose action no such rule names
 * never builds request facts and never runs CEL. A candidate whose condition requires a body
 * property or a method the request does not have is ruled out by its guard
 * (condition-guard.ts) before any facts are built: a tags-only PATCH never runs the identity
 * rules that every write is a candidate for.
 *
 * Fail closed: a condition that errors at run time (a missing key, a wrong type), that needs a
 * body which cannot be read (not an object, ambiguous property names), or that reads `merged` for
 * a PATCH whose resource could not be read, counts as matched and holds the request for an
 * administrator; it never forbids less and never allows.
 */
import { compileLowerActionPattern, type LowerActionTest } from '../rbac/action-pattern.ts';
import { answerByAction } from './answers-by-action.ts';
import { BodyShape, guardRulesOut } from './condition-guard.ts';
import { compileCondition, conditionErrorLine, type CompiledCondition } from './content-condition.ts';
import type { GuardrailEffect, GuardrailRule, GuardrailsPolicy } from './guardrails-schema.ts';
import { isActionOnlyForbid } from './guardrails-schema.ts';
import { requestFacts, type RequestFacts, type RequestFactsInput } from './request-facts.ts';

export interface ContentRuleMatch {
  rule: GuardrailRule;
  effect: GuardrailEffect;
  /** the condition that matched (absent for an action-only `require` rule) */
  condition?: string | undefined;
  /** set when the rule matched because it could not be evaluated (fail closed) */
  failedClosed?: string | undefined;
}

interface IndexedRule {
  rule: GuardrailRule;
  /** tests over the lower-cased action */
  matches: LowerActionTest[];
  condition?: CompiledCondition | undefined;
}

interface Index {
  rules: IndexedRule[];
  /** lower-cased action -> candidate rules (answers-by-action.ts) */
  byAction: Map<string, IndexedRule[]>;
  /** some rule reads `merged` (else no PATCH ever needs the resource read) */
  readsMerged: boolean;
}

const indexByPolicy = new WeakMap<GuardrailsPolicy, Index>();

function indexOf(policy: GuardrailsPolicy): Index {
  let index = indexByPolicy.get(policy);
  if (!index) {
    const rules = policy.rules
      .filter((rule) => !isActionOnlyForbid(rule))
      .map((rule) => ({
        rule,
        matches: [...rule.actions, ...rule.dataActions].map(compileLowerActionPattern),
        condition: rule.when === undefined ? undefined : compileCondition(rule.when),
      }));
    index = { rules, byAction: new Map(), readsMerged: rules.some((r) => r.condition?.readsMerged === true) };
    indexByPolicy.set(policy, index);
  }
  return index;
}

/** Rules whose action patterns cover `action` (control- or data-plane lists alike, as findGuardrail). */
export function candidateRules(action: string, policy: GuardrailsPolicy): readonly GuardrailRule[] {
  return candidates(action, indexOf(policy)).map((r) => r.rule);
}

function candidates(action: string, index: Index): IndexedRule[] {
  const key = action.toLowerCase();
  return answerByAction(index.byAction, key, () => index.rules.filter((r) => r.matches.some((m) => m(key))));
}

function effectOf(rule: GuardrailRule): GuardrailEffect {
  return rule.effect ?? { kind: 'forbid' };
}

/** Holding for an administrator: what a rule that cannot be evaluated does, whatever its own effect. */
const HOLD: GuardrailEffect = { kind: 'require', elevation: true };

/**
 * Whether deciding this request needs the resource as it is: a PATCH that a rule reading
 * `merged` could match (not ruled out by its guard). Only then does the caller read it from ARM.
 */
export function needsCurrentResource(request: { method: string; body?: unknown; actions: readonly string[] }, policies: { guardrails: GuardrailsPolicy }): boolean {
  if (request.method.toUpperCase() !== 'PATCH') return false;
  const index = indexOf(policies.guardrails);
  if (!index.readsMerged) return false;
  let shape: BodyShape | undefined;
  for (const action of request.actions)
    for (const { condition } of candidates(action, index)) {
      if (!condition?.readsMerged) continue;
      if (condition.guard) {
        shape ??= new BodyShape(request.body);
        if (guardRulesOut(condition.guard, request.method, shape)) continue;
      }
      return true;
    }
  return false;
}

/**
 * Every content or `require` rule the request matches. `actions` are the derived action and,
 * when the call resolved to another listed operation, the structural one too.
 */
export function findContentRules(
  request: Omit<RequestFactsInput, 'action'> & { actions: readonly string[] },
  policies: { guardrails: GuardrailsPolicy },
): ContentRuleMatch[] {
  const index = indexOf(policies.guardrails);
  if (index.rules.length === 0) return [];
  const seen = new Set<IndexedRule>();
  for (const action of request.actions) for (const r of candidates(action, index)) seen.add(r);
  if (seen.size === 0) return [];

  let facts: RequestFacts | undefined;
  let shape: BodyShape | undefined;
  const out: ContentRuleMatch[] = [];
  for (const entry of seen) {
    const { rule, condition } = entry;
    if (!condition) {
      out.push({ rule, effect: effectOf(rule) });
      continue;
    }
    if (condition.guard) {
      shape ??= new BodyShape(request.body);
      if (guardRulesOut(condition.guard, request.method, shape)) continue;
    }
    facts ??= requestFacts({ ...request, action: request.actions[0] ?? '' });
    if ((condition.readsBody || condition.readsMerged) && facts.bodyProblem) {
      out.push({ rule, effect: HOLD, condition: condition.source, failedClosed: facts.bodyProblem });
      continue;
    }
    if (condition.readsMerged && facts.mergedProblem) {
      out.push({ rule, effect: HOLD, condition: condition.source, failedClosed: facts.mergedProblem });
      continue;
    }
    try {
      if (condition.evaluate(facts.facts)) out.push({ rule, effect: effectOf(rule), condition: condition.source });
    } catch (err) {
      out.push({ rule, effect: HOLD, condition: condition.source, failedClosed: `the condition could not be evaluated: ${conditionErrorLine(err)}` });
    }
  }
  return out;
}
