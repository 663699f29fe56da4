/**
 * Counting one approval against the others of its request (consent and elevation alike, from the
 * browser or the CLI), one approval at a time per request across every instance. Two approvers
 * of a request that needs two, deciding at once, used to both read "none yet" and both be
 * recorded as "1 of 2", leaving the request waiting for a third. Now the count is taken in the
 * same transaction that adds the approval (approval-claims.ts), so one is "1 of 2" and the other
 * finds that it completes the request, and the caller continues as for any completing approval.
 *
 * Order: the approval is claimed (its row written with the count it got), then its
 * `approval.recorded` entry is appended, and the claim taken back if that fails. The other order
 * cannot tell the truth: an entry appended before the count is taken states a count that a
 * concurrent approval may already have made false, and the audit log cannot join the store's
 * transaction. "No audit entry, no action" holds because only the entry makes the row count: an
 * approval is counted toward a completion only once its entry exists, and a claim still waiting
 * for its entry is waited for (what it becomes decides this approval's count), so nothing ever
 * acts on an approval the log does not have.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { OperationRequest } from '../operations/operation-types.ts';
import { recordedEntry } from './approval-audit.ts';
import { loadRequest, refuseDecision, type ApprovalDeps } from './approval-deps.ts';
import type { Approver, RecordedApproval, ReviewOutcome } from './approval-types.ts';
import { refused, type DecisionResult } from './decision-results.ts';
import { reviewRequest } from './review-request.ts';

/**
 * How long a claim may wait for its entry before it is treated as never made (its instance stopped
 * in between, or could not take it back). Far longer than an append takes, and than instances'
 * clocks differ by; until then the claim holds the request's next approval back.
 */
export const RECORDING_GRACE_MS = 120_000;
/** How long an approval waits for another one's entry before it is refused (try again). */
const WAIT_FOR_RECORDING_MS = 10_000;
const FIRST_PAUSE_MS = 10;
const LONGEST_PAUSE_MS = 250;

type Completing = Extract<ReviewOutcome, { outcome: 'approve' }>;
type Recording = Extract<ReviewOutcome, { outcome: 'recorded' }>;

/** The approval's count: the answer already (refused, or recorded with more needed), or it completes the request. */
export type CountedApproval = { kind: 'answered'; result: DecisionResult } | { kind: 'completes'; outcome: Completing };

export async function countApproval(deps: ApprovalDeps, request: OperationRequest, approver: Approver, rawReason: unknown): Promise<CountedApproval> {
  const requester = await deps.requesters.get(request.id);
  const review = (current: { state: OperationRequest['state']; approvals: RecordedApproval[] }) =>
    reviewRequest(
      { state: current.state, requestedBy: request.trigger.requestedBy, requester, approvals: current.approvals, minApprovers: request.decision.approversRequired },
      { decision: 'approve', approver, reason: rawReason },
      deps.policies,
    );
  const answered = (result: DecisionResult): CountedApproval => ({ kind: 'answered', result });
  const refuse = async (code: string, message: string) =>
    answered(await refuseDecision(deps, { request: (await loadRequest(deps, request.id)) ?? request, requestId: request.id, approver, decision: 'approve', code, message }));

  for (let waited = 0, pause = FIRST_PAUSE_MS; ; waited += pause, pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    const now = deps.clock();
    const at = now.toISOString();
    const step = await deps.approvals.claimApproval({ requestId: request.id, approver, at, staleBefore: new Date(now.getTime() - RECORDING_GRACE_MS).toISOString() }, review);
    if (step.status === 'gone') return answered(refused(404, 'not_found', 'no such request'));
    if (step.status === 'in_flight') {
      if (waited >= WAIT_FOR_RECORDING_MS) {
        return refuse('approval_in_flight', "Another approval of this request is still being recorded, and yours is counted after it; nothing was done. Try again in a moment.");
      }
      await sleep(pause);
      continue;
    }
    const { outcome } = step;
    if (outcome.outcome === 'refused') return refuse(outcome.code, outcome.message);
    if (outcome.outcome === 'deny') throw new Error('an approval cannot deny');
    if (outcome.outcome === 'approve') return { kind: 'completes', outcome };
    return answered(await putOnRecord(deps, request, approver, outcome, at));
  }
}

/** Appends the claimed approval's entry (then it counts); takes the claim back if that fails. */
async function putOnRecord(deps: ApprovalDeps, request: OperationRequest, approver: Approver, outcome: Recording, at: string): Promise<DecisionResult> {
  const { counted, required } = outcome;
  try {
    await deps.audit.append(recordedEntry(request, approver, { kind: outcome.kind, reason: outcome.reason, counted, required }));
  } catch (err) {
    // A claim left behind counts for nothing, but holds the next approval back until the grace.
    await deps.approvals.releaseClaim(request.id, approver.oid, at).catch((releaseErr: unknown) => {
      deps.logger?.error({ err: releaseErr, requestId: request.id }, 'an approval whose entry failed could not be taken back; it is ignored once its grace has passed');
    });
    throw err;
  }
  // On record and counted whatever follows: a lost notification is logged, not turned into a failure.
  await deps.approvals.announceApproval({ request, approverUpn: approver.upn, counted, required, at }).catch((err: unknown) => {
    deps.logger?.error({ err, requestId: request.id }, 'an approval on record could not be put in the notification outbox');
  });
  return { kind: 'recorded', request, counted, required };
}
