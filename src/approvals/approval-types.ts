/**
 * The vocabulary of the approval half of the request lifecycle: who reviews, what they decided,
 * and what their review does to the request. Plain data; the transport and the stores speak it.
 */
import type { ApprovalKind } from '../policies/policy-types.ts';
import type { OperationRequest, RequestState } from '../operations/operation-types.ts';
import type { RequesterIdentity } from '../directory/requester-identity.ts';

export type { ApprovalKind };

/** A person deciding on a request, as their (validated) Entra claims name them. */
export interface Approver {
  /** object id (`oid`) */
  oid: string;
  upn: string;
  /** tenant id (`tid`) */
  tid: string;
}

/** An approval already counted for a request. */
export interface RecordedApproval {
  approverOid: string;
  approverUpn: string;
  createdAt: string;
}

/** What the pure review logic needs to know about a request. */
export interface ReviewState {
  state: RequestState;
  /** agent-supplied: whoever the agent says asked for the operation */
  requestedBy?: string | undefined;
  /**
   * `requestedBy` as resolved in the directory when the request was created. Undefined with a
   * `requestedBy`: nothing was recorded, which counts as unresolved.
   */
  requester?: RequesterIdentity | undefined;
  approvals: readonly RecordedApproval[];
  /** distinct approvers a guardrail content rule asks for at least (the decision's `approversRequired`) */
  minApprovers?: number | undefined;
}

/** Why one more approver than the policy's number is needed, for the approvers to read. */
export interface ExtraApprover {
  reason: string;
  message: string;
}

export interface Review {
  decision: 'approve' | 'deny';
  approver: Approver;
  /** as typed; normalised (trimmed, CRLF to LF) in the outcome */
  reason: unknown;
}

export type ReviewRefusalCode = 'not_pending' | 'reason_required' | 'reason_too_long' | 'reason_invalid' | 'requester_may_not_approve' | 'already_approved';

/**
 * What one review does:
 * - `refused`: nothing changes;
 * - `recorded`: the approval counts, but more distinct approvers are needed; the request stays pending;
 * - `approve`: this approval reaches the threshold; the request is to be approved (and run);
 * - `deny`: the request is to be denied.
 */
export type ReviewOutcome =
  | { outcome: 'refused'; code: ReviewRefusalCode; message: string }
  | { outcome: 'recorded'; kind: ApprovalKind; reason: string; counted: number; required: number; extraApprover?: ExtraApprover | undefined }
  | { outcome: 'approve'; kind: ApprovalKind; reason: string; counted: number; required: number; approverOids: string[]; extraApprover?: ExtraApprover | undefined }
  | { outcome: 'deny'; kind: ApprovalKind; reason: string };

/** The longest reason an approver may give (it goes into the audit log and to the agent). */
export const MAX_REASON_LENGTH = 1000;

/** Which kind of approval a request waits for, from its state; undefined when it waits for none. */
export function approvalKindOf(request: Pick<OperationRequest, 'state'>): ApprovalKind | undefined {
  if (request.state === 'pending_consent') return 'consent';
  if (request.state === 'pending_elevation') return 'elevation';
  return undefined;
}
