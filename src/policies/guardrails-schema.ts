import { z } from 'zod';
import { actionPattern, strictMapping } from './policy-schema-parts.ts';

/** guardrails.yaml: actions Elevate never executes and never elevates the agent for. */

const patternList = z.array(actionPattern, { error: 'expected a list of action patterns' }).max(100, 'expected at most 100 patterns');

const rule = strictMapping({
  id: z
    .string({ error: 'expected a rule id such as no-role-assignment-writes' })
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected a kebab-case rule id such as no-role-assignment-writes')
    .max(80, 'expected a rule id of at most 80 characters'),
  reason: z.string({ error: 'expected a reason an approver can read' }).trim().min(1, 'expected a reason an approver can read'),
  /** Control-plane (ARM) action patterns. */
  actions: patternList.default([]),
  /** Data-plane action patterns, as in a role's DataActions. */
  dataActions: patternList.default([]),
}).refine((r) => r.actions.length + r.dataActions.length > 0, {
  message: 'expected at least one pattern under actions or dataActions',
});

export const guardrailsSchema = strictMapping({
  rules: z.array(rule, { error: 'expected a list of rules' }),
});

export type GuardrailsFile = z.infer<typeof guardrailsSchema>;

export interface GuardrailRule {
  id: string;
  reason: string;
  actions: string[];
  dataActions: string[];
}

export interface GuardrailsPolicy {
  rules: GuardrailRule[];
}
