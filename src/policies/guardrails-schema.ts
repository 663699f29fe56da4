import { z } from 'zod';
import { actionPattern, strictMapping } from './policy-schema-parts.ts';

/**
 * guardrails.yaml: actions Elevate never executes and never elevates the agent for, and content
 * rules: a CEL condition over the request (method, path, body...) that, when it holds, forbids
 * the request or holds it for more people (`require`). A rule without `when` matches on the
 * action alone; a rule without `require` forbids.
 */

const patternList = z.array(actionPattern, { error: 'expected a list of action patterns' }).max(100, 'expected at most 100 patterns');

/** Longest CEL condition accepted; a rule is a short predicate, not a program. */
export const MAX_CONDITION_LENGTH = 2000;

const requirement = z.union(
  [
    z.literal('elevation'),
    strictMapping({
      elevation: z.literal(true, { error: 'expected true (an administrator runs it with their own sign-in)' }).optional(),
      approvers: z
        .number({ error: 'expected a whole number of approvers' })
        .int('expected a whole number of approvers')
        .min(2, 'expected at least 2 approvers (1 is what every held request already needs)')
        .max(10, 'expected at most 10 approvers')
        .optional(),
    }).refine((r) => r.elevation !== undefined || r.approvers !== undefined, { message: 'expected elevation: true and/or approvers: N' }),
  ],
  { error: "expected 'elevation' or a mapping with elevation: true and/or approvers: N" },
);

const rule = strictMapping({
  id: z
    .string({ error: 'expected a rule id such as no-role-assignment-writes' })
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected a kebab-case rule id such as no-role-assignment-writes')
    .max(80, 'expected a rule id of at most 80 characters'),
  reason: z.string({ error: 'expected a reason an approver can read' }).trim().min(1, 'expected a reason an approver can read'),
  /** A Microsoft doc that explains the risk, shown to the agent and the approver. */
  link: z
    .string({ error: 'expected a https://learn.microsoft.com/ link' })
    .max(500, 'expected a link of at most 500 characters')
    .regex(/^https:\/\/learn\.microsoft\.com\/[A-Za-z0-9\-._~/%#?=&]*$/, 'expected a https://learn.microsoft.com/ link')
    .optional(),
  /** Control-plane (ARM) action patterns. */
  actions: patternList.default([]),
  /** Data-plane action patterns, as in a role's DataActions. */
  dataActions: patternList.default([]),
  /** CEL condition over the request; the rule matches only when it is true. */
  when: z
    .string({ error: 'expected a CEL condition such as has(body.properties) && body.properties.enablerbacauthorization == false' })
    .trim()
    .min(1, 'expected a CEL condition')
    .max(MAX_CONDITION_LENGTH, `expected a CEL condition of at most ${MAX_CONDITION_LENGTH} characters`)
    .optional(),
  /** What a match holds back when it does not forbid: tighten only. */
  require: requirement.optional(),
}).refine((r) => r.actions.length + r.dataActions.length > 0, {
  message: 'expected at least one pattern under actions or dataActions',
});

export const guardrailsSchema = strictMapping({
  rules: z.array(rule, { error: 'expected a list of rules' }),
});

export type GuardrailsFile = z.infer<typeof guardrailsSchema>;

/** What a matched rule holds back: `forbid`, or the request waits for more (never less). */
export type GuardrailEffect = { kind: 'forbid' } | { kind: 'require'; elevation: boolean; approvers?: number | undefined };

export interface GuardrailRule {
  id: string;
  reason: string;
  actions: string[];
  dataActions: string[];
  link?: string | undefined;
  /** CEL condition (content rule); absent: the action alone matches */
  when?: string | undefined;
  /** absent on the action-only forbid rules written before content rules existed: forbid */
  effect?: GuardrailEffect | undefined;
}

export interface GuardrailsPolicy {
  rules: GuardrailRule[];
}

/** Whether the rule forbids on its action alone (the rules findGuardrail checks). */
export function isActionOnlyForbid(rule: GuardrailRule): boolean {
  return rule.when === undefined && (rule.effect === undefined || rule.effect.kind === 'forbid');
}
