import { z } from 'zod';
import { strictMapping } from './policy-schema-parts.ts';

/**
 * approvals.yaml: who may say yes, and how many must. How long a request stays open is not here:
 * it is ELEVATE_REQUEST_TTL_SECONDS in the config.
 */

/** Who may approve and how many must: the same two fields for requests and for level raises. */
const approverFields = {
  requesterMayApprove: z.boolean({ error: 'expected true or false' }),
  approversRequired: z
    .number({ error: 'expected a whole number of approvers' })
    .int('expected a whole number of approvers')
    .min(1, 'expected at least 1 approver')
    .max(10, 'expected at most 10 approvers'),
};

const approvalRule = strictMapping(approverFields);

const levelRaiseRule = strictMapping({
  ...approverFields,
  // PIM's own default policy caps an administrator's active assignment at 180 days.
  maxDurationMinutes: z
    .number({ error: 'expected a whole number of minutes' })
    .int('expected a whole number of minutes')
    .min(5, 'expected at least 5 minutes')
    .max(180 * 24 * 60, 'expected at most 259200 minutes (180 days)'),
});

export const approvalsSchema = strictMapping({
  elevation: approvalRule,
  consent: approvalRule,
  levelRaise: levelRaiseRule.optional(),
});

export type ApprovalsFile = z.infer<typeof approvalsSchema>;

export interface ApprovalRule {
  /** Whether `trigger.requestedBy` may count as one of the approvers of their own request. */
  requesterMayApprove: boolean;
  /** Distinct SRE Agent Administrators who must approve. */
  approversRequired: number;
}

export interface LevelRaiseRule extends ApprovalRule {
  /** The longest window a time-bound level raise may ask for. */
  maxDurationMinutes: number;
}

/** When approvals.yaml has no levelRaise section: four eyes, at most 8 hours. */
export const DEFAULT_LEVEL_RAISE_RULE: LevelRaiseRule = { requesterMayApprove: false, approversRequired: 1, maxDurationMinutes: 480 };

export interface ApprovalsPolicy {
  elevation: ApprovalRule;
  consent: ApprovalRule;
  /** Time-bound level raises (Reader -> Privileged on some groups for a while). */
  levelRaise?: LevelRaiseRule;
}
