import type { ApprovalRule, ApprovalsPolicy } from './approvals-schema.ts';
import { isApprovalKind, type ApprovalKind } from './policy-types.ts';

export function approvalRuleFor(kind: ApprovalKind, policies: { approvals: ApprovalsPolicy }): ApprovalRule {
  if (!isApprovalKind(kind)) throw new RangeError(`unknown approval kind ${JSON.stringify(kind)}`);
  return policies.approvals[kind];
}

export type ApproverCheck = 'ok' | 'requester-may-not-approve' | 'already-approved';

/**
 * Whether one more approval by `approverId` may count. Object ids compare case-insensitively (they
 * are GUIDs, and Entra is not consistent about their case). Whether the approver holds the
 * Administrator role, and signed in recently enough, is checked elsewhere.
 */
export function checkApprover(
  rule: ApprovalRule,
  input: { requestedBy: string | undefined; approverId: string; priorApproverIds: readonly string[] },
): ApproverCheck {
  const approver = input.approverId.toLowerCase();
  if (input.priorApproverIds.some((id) => id.toLowerCase() === approver)) return 'already-approved';
  if (!rule.requesterMayApprove && input.requestedBy !== undefined && input.requestedBy.toLowerCase() === approver) {
    return 'requester-may-not-approve';
  }
  return 'ok';
}

/** Distinct approvals that count under the rule; the request may proceed when it reaches `approversRequired`. */
export function countedApprovals(rule: ApprovalRule, requestedBy: string | undefined, approverIds: readonly string[]): number {
  const requester = requestedBy?.toLowerCase();
  const distinct = new Set(approverIds.map((id) => id.toLowerCase()));
  if (!rule.requesterMayApprove && requester !== undefined) distinct.delete(requester);
  return distinct.size;
}

export function approvalsSatisfied(rule: ApprovalRule, requestedBy: string | undefined, approverIds: readonly string[]): boolean {
  return countedApprovals(rule, requestedBy, approverIds) >= rule.approversRequired;
}
