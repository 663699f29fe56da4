/**
 * Whether the signed-in person's approval would be refused, asked before the Approve form is
 * shown (so a four-eyes refusal is said up front, not after they have written a reason and
 * submitted). It runs the very checks the decision runs, deciderOf and reviewRequest, with a
 * stand-in reason: the rules stay in one place. The decision checks everything again.
 */
import type { SessionUser } from '../sessions/session-data.ts';
import { deciderOf, type ApprovalDeps } from './approval-deps.ts';
import type { RecordedApproval } from './approval-types.ts';
import type { RequesterIdentity } from '../directory/requester-identity.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import { reviewRequest } from './review-request.ts';

export type ApprovalPreview = { ok: true } | { ok: false; code: string; message: string };

/** A reason that passes the reason check, so only who-may-approve decides the preview. */
const STAND_IN_REASON = 'preview';

export function previewApproval(
  deps: Pick<ApprovalDeps, 'policies' | 'tenantId'>,
  request: Pick<OperationRequest, 'state' | 'trigger' | 'decision'>,
  requester: RequesterIdentity | undefined,
  approvals: readonly RecordedApproval[],
  user: SessionUser,
): ApprovalPreview {
  const who = deciderOf(deps, user, 'approve');
  if (!who.ok) return { ok: false, code: who.code, message: who.message };
  const outcome = reviewRequest({ state: request.state, requestedBy: request.trigger.requestedBy, requester, approvals, minApprovers: request.decision.approversRequired }, { decision: 'approve', approver: who.approver, reason: STAND_IN_REASON }, deps.policies);
  return outcome.outcome === 'refused' ? { ok: false, code: outcome.code, message: outcome.message } : { ok: true };
}
