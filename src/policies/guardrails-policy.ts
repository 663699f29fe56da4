import { compileActionPattern } from '../rbac/action-pattern.ts';
import type { GuardrailsFile, GuardrailsPolicy } from './guardrails-schema.ts';
import type { PolicyIssue } from './policy-issues.ts';

/** Checks guardrails.yaml beyond its schema: ids are unique and every pattern compiles in the RBAC matcher. */
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
  });
  return issues;
}

export function toGuardrailsPolicy(file: GuardrailsFile): GuardrailsPolicy {
  return { rules: file.rules.map((r) => ({ id: r.id, reason: r.reason, actions: r.actions, dataActions: r.dataActions })) };
}
