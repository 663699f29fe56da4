/**
 * Consent (Review mode, the agent's identity holds the permission): the administrators' approval
 * releases the write, which runs with the agent's own managed identity. The approve transition
 * is audited by the lifecycle before the operation is sent; if that audit fails, nothing runs.
 * An approval that loses the transition to another decision or the deadline records only its
 * refusal (`approval.refused`).
 */
import { managedIdentityOf } from '../operations/operation-audit.ts';
import type { SessionUser } from '../sessions/session-data.ts';
import { userActor } from './approval-audit.ts';
import { auditUnavailable, deciderOf, isAuditFailure, loadRequest, refuseDecision, type ConsentDeps, reviewStateOf } from './approval-deps.ts';
import { countApproval } from './count-approval.ts';
import { refused, type DecisionResult } from './decision-results.ts';
import { reviewRequest } from './review-request.ts';

export async function approveConsent(deps: ConsentDeps, requestId: string, user: SessionUser, rawReason: unknown): Promise<DecisionResult> {
  const who = deciderOf(deps, user, 'approve');
  const approver = who.ok ? who.approver : { oid: user.oid, upn: user.upn, tid: user.tid };
  if (!who.ok) return refuseDecision(deps, { request: undefined, requestId, approver, decision: 'approve', code: who.code, message: who.message });

  return deps.lock.run(requestId, async () => {
    try {
      const request = await loadRequest(deps, requestId);
      if (!request) return refused(404, 'not_found', 'no such request');
      // A first look, for the refusals that need no write and the kind of approval the request
      // waits for; the count that decides is taken below.
      const outcome = reviewRequest(
        await reviewStateOf(deps, request),
        { decision: 'approve', approver, reason: rawReason },
        deps.policies,
      );
      if (outcome.outcome === 'refused') return refuseDecision(deps, { request, requestId, approver, decision: 'approve', code: outcome.code, message: outcome.message });
      if (outcome.outcome === 'deny') throw new Error('an approval cannot deny');
      if (outcome.kind !== 'consent') return refused(409, 'needs_elevation', 'this request needs an elevation approval (a fresh sign-in), not consent', request);
      // Counted against the request's other approvals one at a time (count-approval.ts): recorded
      // when more are needed, else this approval completes the request, even when a concurrent
      // one made it the last.
      const counted = await countApproval(deps, request, approver, rawReason);
      if (counted.kind === 'answered') return counted.result;
      const { reason, approverOids, required } = counted.outcome;
      const at = deps.clock().toISOString();

      const agent = await deps.agents.get(request.agentId);
      if (!agent) return refused(409, 'agent_unknown', "the request's agent is no longer registered; nothing was run", request);
      const approved = await deps.lifecycle.approve(request.id, userActor(approver), {
        reason,
        details: { kind: 'consent', approver: { oid: approver.oid, upn: approver.upn, tid: approver.tid }, approvers: approverOids, required },
      });
      if (!approved.ok) {
        if (approved.code === 'not_found') return refused(404, 'not_found', 'no such request');
        // Lost the race (another approver, a deny, the deadline): on record as a refusal.
        return refuseDecision(deps, { request: approved.request, requestId, approver, decision: 'approve', code: 'changed_concurrently', message: approved.message });
      }
      await deps.approvals.recordApproval({ requestId, approver, kind: 'consent', reason, at });
      // Runs with the agent's own managed identity: recorded as `agent:<id>`, never as OBO.
      const executed = await deps.executor.executeRequest(request.id, deps.agentCredential(agent), managedIdentityOf(agent), {
        actor: userActor(approver),
        waitMs: deps.executionWaitMs,
      });
      if (!executed.ok) return refused(409, 'changed_concurrently', executed.message, executed.request);
      return { kind: 'executed', request: executed.request };
    } catch (err) {
      if (isAuditFailure(err)) {
        deps.logger?.error({ err, requestId }, 'consent approval not applied: audit unavailable');
        return auditUnavailable();
      }
      throw err;
    }
  });
}
