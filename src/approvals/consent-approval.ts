/**
 * Consent (Review mode, the agent's identity holds the permission): the administrators' approval
 * releases the write, which runs with the agent's own managed identity. The approve transition
 * is audited by the lifecycle before the operation is sent; if that audit fails, nothing runs.
 * An approval that loses the transition to another decision or the deadline records only its
 * refusal (`approval.refused`).
 */
import { managedIdentityOf } from '../operations/operation-audit.ts';
import type { SessionUser } from '../sessions/session-data.ts';
import { recordedEntry, userActor } from './approval-audit.ts';
import { auditUnavailable, deciderOf, isAuditFailure, loadRequest, refuseDecision, type ConsentDeps, reviewStateOf } from './approval-deps.ts';
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
      const outcome = reviewRequest(
        await reviewStateOf(deps, request),
        { decision: 'approve', approver, reason: rawReason },
        deps.policies,
      );
      if (outcome.outcome === 'refused') return refuseDecision(deps, { request, requestId, approver, decision: 'approve', code: outcome.code, message: outcome.message });
      if (outcome.outcome === 'deny') throw new Error('an approval cannot deny');
      if (outcome.kind !== 'consent') return refused(409, 'needs_elevation', 'this request needs an elevation approval (a fresh sign-in), not consent', request);
      const { reason } = outcome;
      const at = deps.clock().toISOString();

      if (outcome.outcome === 'recorded') {
        await deps.audit.append(recordedEntry(request, approver, { kind: 'consent', reason, counted: outcome.counted, required: outcome.required }));
        if (!(await deps.approvals.recordApproval({ requestId, approver, kind: 'consent', reason, at, progress: { request, counted: outcome.counted, required: outcome.required } }))) {
          return refused(409, 'already_approved', 'you have already approved this request', request);
        }
        return { kind: 'recorded', request, counted: outcome.counted, required: outcome.required };
      }

      const agent = await deps.agents.get(request.agentId);
      if (!agent) return refused(409, 'agent_unknown', "the request's agent is no longer registered; nothing was run", request);
      const approved = await deps.lifecycle.approve(request.id, userActor(approver), {
        reason,
        details: { kind: 'consent', approver: { oid: approver.oid, upn: approver.upn, tid: approver.tid }, approvers: outcome.approverOids, required: outcome.required },
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
