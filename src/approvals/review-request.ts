/**
 * The review logic of an approval, apart from any transport or store (the shape of Teleport's
 * access_request.go): given the request's state, the approvals counted so far and the policy,
 * what does one more review do? The callers apply the outcome through the request lifecycle's
 * compare-and-set, so a review computed on a stale snapshot loses the race instead of winning it.
 */
import { approvalRuleFor, checkApprover } from '../policies/approval-rules.ts';
import type { ApprovalsPolicy } from '../policies/approvals-schema.ts';
import { approvalKindOf, MAX_REASON_LENGTH, type Review, type ReviewOutcome, type ReviewState } from './approval-types.ts';

const refused = (code: Extract<ReviewOutcome, { outcome: 'refused' }>['code'], message: string): ReviewOutcome => ({ outcome: 'refused', code, message });

/** The reason as it will be recorded, or why it cannot be. */
export function normaliseReason(raw: unknown): { ok: true; reason: string } | { ok: false; code: 'reason_required' | 'reason_too_long'; message: string } {
  const text = typeof raw === 'string' ? raw.replace(/\r\n?/g, '\n').trim() : '';
  if (text === '') return { ok: false, code: 'reason_required', message: 'a reason is required' };
  if (text.length > MAX_REASON_LENGTH) return { ok: false, code: 'reason_too_long', message: `the reason is longer than ${MAX_REASON_LENGTH} characters` };
  return { ok: true, reason: text };
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Whether `requestedBy` (agent-supplied, so only ever used to refuse) names this approver, by
 * object id or by user name.
 */
export function isRequester(requestedBy: string | undefined, approver: { oid: string; upn: string }): boolean {
  return requestedBy !== undefined && requestedBy.trim() !== '' && (same(requestedBy, approver.oid) || same(requestedBy, approver.upn));
}

export function reviewRequest(state: ReviewState, review: Review, policies: { approvals: ApprovalsPolicy }): ReviewOutcome {
  const kind = approvalKindOf(state);
  if (!kind) return refused('not_pending', `the request is ${state.state.replace('_', ' ')}; only a pending request can be ${review.decision === 'approve' ? 'approved' : 'denied'}`);
  const reason = normaliseReason(review.reason);
  if (!reason.ok) return refused(reason.code, reason.message);
  if (review.decision === 'deny') return { outcome: 'deny', kind, reason: reason.reason };

  const rule = approvalRuleFor(kind, policies);
  const approver = review.approver;
  const prior = state.approvals.map((a) => a.approverOid);
  const check = checkApprover(rule, { requestedBy: state.requestedBy, approverId: approver.oid, priorApproverIds: prior });
  if (check === 'already-approved') return refused('already_approved', 'you have already approved this request; another administrator must approve it');
  if (check === 'requester-may-not-approve' || (!rule.requesterMayApprove && isRequester(state.requestedBy, approver))) {
    return refused('requester_may_not_approve', `the request names you as the person who asked for it; under the ${kind} policy another administrator must approve it`);
  }

  // Count distinct approvers who may count under the rule, this one included.
  const counted = new Set<string>();
  for (const a of state.approvals) {
    if (!rule.requesterMayApprove && isRequester(state.requestedBy, { oid: a.approverOid, upn: a.approverUpn })) continue;
    counted.add(a.approverOid.toLowerCase());
  }
  counted.add(approver.oid.toLowerCase());
  const required = rule.approversRequired;
  if (counted.size < required) return { outcome: 'recorded', kind, reason: reason.reason, counted: counted.size, required };
  return { outcome: 'approve', kind, reason: reason.reason, counted: counted.size, required, approverOids: [...counted] };
}
