/**
 * The review logic of an approval, apart from any transport or store (the shape of Teleport's
 * access_request.go): given the request's state, the approvals counted so far and the policy,
 * what does one more review do? The callers apply the outcome through the request lifecycle's
 * compare-and-set, so a review computed on a stale snapshot loses the race instead of winning it.
 */
import { UNRESOLVED_MESSAGES } from '../directory/requester-identity.ts';
import { isCleanText } from '../operations/clean-text.ts';
import { approvalRuleFor, checkApprover } from '../policies/approval-rules.ts';
import type { ApprovalRule, ApprovalsPolicy } from '../policies/approvals-schema.ts';
import { approvalKindOf, MAX_REASON_LENGTH, type ExtraApprover, type Review, type ReviewOutcome, type ReviewState } from './approval-types.ts';

const refused = (code: Extract<ReviewOutcome, { outcome: 'refused' }>['code'], message: string): ReviewOutcome => ({ outcome: 'refused', code, message });

/** The reason as it will be recorded, or why it cannot be. */
export function normaliseReason(raw: unknown): { ok: true; reason: string } | { ok: false; code: 'reason_required' | 'reason_too_long' | 'reason_invalid'; message: string } {
  const text = typeof raw === 'string' ? raw.replace(/\r\n?/g, '\n').trim() : '';
  if (text === '') return { ok: false, code: 'reason_required', message: 'a reason is required' };
  if (text.length > MAX_REASON_LENGTH) return { ok: false, code: 'reason_too_long', message: `the reason is longer than ${MAX_REASON_LENGTH} characters` };
  // Shown to other administrators and auditors: nothing invisible that could disguise it.
  if (!isCleanText(text, true)) return { ok: false, code: 'reason_invalid', message: 'the reason contains control or invisible formatting characters' };
  return { ok: true, reason: text };
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * Whether `requestedBy` (agent-supplied, so only ever used to refuse) names this approver, by
 * object id or by user name as written. A second line behind the object-id comparison: it can
 * only refuse more.
 */
export function isRequester(requestedBy: string | undefined, approver: { oid: string; upn: string }): boolean {
  return requestedBy !== undefined && requestedBy.trim() !== '' && (same(requestedBy, approver.oid) || same(requestedBy, approver.upn));
}

const named = (state: Pick<ReviewState, 'requestedBy'>) => state.requestedBy !== undefined && state.requestedBy.trim() !== '';

/** The requester's object id, when the request names one that the directory resolved. */
export function requesterObjectId(state: Pick<ReviewState, 'requestedBy' | 'requester'>): string | undefined {
  return named(state) && state.requester?.status === 'resolved' ? state.requester.objectId.toLowerCase() : undefined;
}

/**
 * Four eyes needs to know who asked. When the request names a requester the directory could not
 * resolve to one person, any approver might be them under another spelling: the rule then needs
 * one more distinct approver than the policy's number, and says why.
 */
export function extraApproverFor(state: Pick<ReviewState, 'requestedBy' | 'requester'>, rule: ApprovalRule): ExtraApprover | undefined {
  if (rule.requesterMayApprove || !named(state) || state.requester?.status === 'resolved') return undefined;
  const reason = state.requester?.reason ?? 'not_recorded';
  const why = state.requester ? UNRESOLVED_MESSAGES[state.requester.reason] : 'who asked was not recorded with the request';
  return {
    reason,
    // The agent's text is not repeated here: the page shows it apart, marked as untrusted.
    message: `Elevate could not tell who "Asked for by" names: ${why}. The person who asked may not approve their own request and could be any of you, so one more administrator than usual must approve.`,
  };
}

/** Distinct approvals the request needs under the rule, the extra approver included. */
export function approversRequired(state: Pick<ReviewState, 'requestedBy' | 'requester' | 'minApprovers'>, rule: ApprovalRule): number {
  // A guardrail rule may ask for more approvers than approvals.yaml (never fewer).
  const base = Math.max(rule.approversRequired, state.minApprovers ?? 0);
  return base + (extraApproverFor(state, rule) ? 1 : 0);
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
  // Object ids only: the resolved requester, never the agent's spelling of them.
  const requesterOid = requesterObjectId(state);
  const check = checkApprover(rule, { requestedBy: requesterOid, approverId: approver.oid, priorApproverIds: prior });
  if (check === 'already-approved') return refused('already_approved', 'you have already approved this request; another administrator must approve it');
  if (check === 'requester-may-not-approve' || (!rule.requesterMayApprove && isRequester(state.requestedBy, approver))) {
    return refused('requester_may_not_approve', `the request names you as the person who asked for it; under the ${kind} policy another administrator must approve it`);
  }

  // Count distinct approvers who may count under the rule, this one included.
  const counted = new Set<string>();
  const isTheRequester = (a: { oid: string; upn: string }) => a.oid.toLowerCase() === requesterOid || isRequester(state.requestedBy, a);
  for (const a of state.approvals) {
    if (!rule.requesterMayApprove && isTheRequester({ oid: a.approverOid, upn: a.approverUpn })) continue;
    counted.add(a.approverOid.toLowerCase());
  }
  counted.add(approver.oid.toLowerCase());
  const extraApprover = extraApproverFor(state, rule);
  const required = approversRequired(state, rule);
  const extra = extraApprover ? { extraApprover } : {};
  if (counted.size < required) return { outcome: 'recorded', kind, reason: reason.reason, counted: counted.size, required, ...extra };
  return { outcome: 'approve', kind, reason: reason.reason, counted: counted.size, required, approverOids: [...counted], ...extra };
}
