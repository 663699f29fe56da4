import { compileActionPattern } from '../rbac/action-pattern.ts';
import { compileCondition } from './content-condition.ts';
import type { GuardrailEffect, GuardrailsFile, GuardrailsPolicy } from './guardrails-schema.ts';
import type { PolicyIssue } from './policy-issues.ts';

/**
 * Checks guardrails.yaml beyond its schema: ids are unique, every pattern compiles in the RBAC
 * matcher, and every CEL condition compiles and type-checks (a bad rule stops the start-up,
 * named by its id, with the CEL error).
 */
export function checkGuardrails(file: GuardrailsFile): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const ids = new Set<string>();
  file.rules.forEach((rule, i) => {
    if (ids.has(rule.id)) issues.push({ path: ['rules', i, 'id'], message: `rule id '${rule.id}' is used twice` });
    ids.add(rule.id);
    for (const list of ['actions', 'dataActions'] as const) {
      rule[list].forEach((pattern, j) => {
        try {
          compileActionPattern(pattern);
        } catch (err) {
          issues.push({ path: ['rules', i, list, j], message: `not a usable action pattern: ${(err as Error).message}` });
        }
      });
    }
    if (rule.when !== undefined) {
      try {
        compileCondition(rule.when);
      } catch (err) {
        issues.push({ path: ['rules', i, 'when'], message: `rule '${rule.id}': ${(err as Error).message}` });
      }
    }
  });
  return issues;
}

function effectOf(require: GuardrailsFile['rules'][number]['require']): GuardrailEffect {
  if (require === undefined) return { kind: 'forbid' };
  if (require === 'elevation') return { kind: 'require', elevation: true };
  return { kind: 'require', elevation: require.elevation === true, ...(require.approvers !== undefined ? { approvers: require.approvers } : {}) };
}

export function toGuardrailsPolicy(file: GuardrailsFile): GuardrailsPolicy {
  return {
    rules: file.rules.map((r) => ({
      id: r.id,
      reason: r.reason,
      actions: r.actions,
      dataActions: r.dataActions,
      ...(r.link !== undefined ? { link: r.link } : {}),
      ...(r.when !== undefined ? { when: r.when } : {}),
      effect: effectOf(r.require),
    })),
  };
}
