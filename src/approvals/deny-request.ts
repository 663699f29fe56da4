/**
 * An administrator denies a pending request, with a reason. The denial ends the request; the
 * reason becomes its `stateReason`, which the agent reads through GET /api/v1/operations/{id}
 * and its long-poll (the lifecycle wakes the waiters).
 */
import type { SessionUser } from '../sessions/session-data.ts';
import { approverDetails, userActor } from './approval-audit.ts';
import { auditUnavailable, deciderOf, isAuditFailure, loadRequest, refuseDecision, type ApprovalDeps } from './approval-deps.ts';
import { refused, type DecisionResult } from './decision-results.ts';
import { reviewRequest } from './review-request.ts';

export async function denyRequest(deps: ApprovalDeps, requestId: string, user: SessionUser, rawReason: unknown): Promise<DecisionResult> {
  const who = deciderOf(deps, user, 'deny');
  const approver = who.ok ? who.approver : { oid: user.oid, upn: user.upn, tid: user.tid };
  if (!who.ok) return refuseDecision(deps, { request: undefined, requestId, approver, decision: 'deny', code: who.code, message: who.message });

  return deps.lock.run(requestId, async () => {
    try {
      const request = await loadRequest(deps, requestId);
      if (!request) return refused(404, 'not_found', 'no such request');
      const outcome = reviewRequest({ state: request.state, requestedBy: request.trigger.requestedBy, approvals: [] }, { decision: 'deny', approver, reason: rawReason }, deps.policies);
      if (outcome.outcome === 'refused') return refuseDecision(deps, { request, requestId, approver, decision: 'deny', code: outcome.code, message: outcome.message });
      if (outcome.outcome !== 'deny') throw new Error('a denial can only deny');
      const denied = await deps.lifecycle.deny(request.id, userActor(approver), { reason: outcome.reason, details: { kind: outcome.kind, approver: approverDetails(approver) } });
      if (!denied.ok) {
        if (denied.code === 'not_found') return refused(404, 'not_found', 'no such request');
        // Lost the race (an approval, the deadline): on record as a refusal, not a second decision.
        return refuseDecision(deps, { request: denied.request, requestId, approver, decision: 'deny', code: 'changed_concurrently', message: denied.message });
      }
      return { kind: 'denied', request: denied.request };
    } catch (err) {
      if (isAuditFailure(err)) {
        deps.logger?.error({ err, requestId }, 'denial not applied: audit unavailable');
        return auditUnavailable();
      }
      throw err;
    }
  });
}
