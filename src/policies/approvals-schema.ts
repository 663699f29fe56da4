import { z } from 'zod';
import { strictMapping } from './policy-schema-parts.ts';

/**
 * approvals.yaml: who may say yes, and how many must. How long a request stays open is not here:
 * it is ELEVATE_REQUEST_TTL_SECONDS in the config.
 */

const approvalRule = strictMapping({
  requesterMayApprove: z.boolean({ error: 'expected true or false' }),
  approversRequired: z
    .number({ error: 'expected a whole number of approvers' })
    .int('expected a whole number of approvers')
    .min(1, 'expected at least 1 approver')
    .max(10, 'expected at most 10 approvers'),
});

export const approvalsSchema = strictMapping({
  elevation: approvalRule,
  consent: approvalRule,
});

export type ApprovalsFile = z.infer<typeof approvalsSchema>;

export interface ApprovalRule {
  /** Whether `trigger.requestedBy` may count as one of the approvers of their own request. */
  requesterMayApprove: boolean;
  /** Distinct SRE Agent Administrators who must approve. */
  approversRequired: number;
}

export interface ApprovalsPolicy {
  elevation: ApprovalRule;
  consent: ApprovalRule;
}
