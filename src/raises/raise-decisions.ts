/**
 * An administrator's decision on a pending raise: approve or deny. Several instances may decide one
 * raise at once (two approvers, an approval and a deny, an approval and the leader's expiry sweep).
 * The raise row's version-checked write decides which wins, before anything is recorded; only the
 * winner records its decision. A loser records a refusal (`level-raise.refused`,
 * `changed_concurrently`) and its caller gets a 409 (RaiseConflictError), so the audit log holds one
 * decision per raise and says what the store says.
 *
 * An approval is the decision others act on: the last one makes grants, and any one counts toward
 * the next. The audit log has no transaction with the store, so an approval is written as not yet
 * on record (RaiseApproval.recorded), its entry appended, and then written as on record; only then
 * does it count or grant. While it is in flight, every other decision on the raise is refused as a
 * concurrent change and the sweeper leaves the raise alone. If its entry cannot be appended the
 * approval is taken back. Once it is on record it is never taken back (the log would say approved
 * of a raise back to pending, and another decision could follow): if the raise cannot then be
 * written as recorded, nothing is granted, and the sweeper ends the raise after
 * APPROVAL_RECORDING_GRACE_MS as it does one whose instance stopped mid-way (raise-sweep.ts).
 */
import type { AuditAppender } from '../agents/agent-registry.ts';
import type { AuditActor } from '../audit/audit-types.ts';
import type { RequesterIdentity } from '../directory/requester-identity.ts';
import type { Logger } from '../observability/logger.ts';
import type { LevelRaiseRule } from '../policies/approvals-schema.ts';
import type { AsyncMutex } from '../store/async-mutex.ts';
import { raiseEntry, SYSTEM_ACTOR } from './raise-audit.ts';
import { oneLine } from './raise-grant-removal.ts';
import { applyRaiseEvent, approvalInFlight, withApprovalsRecorded } from './raise-state-machine.ts';
import type { RaiseStore } from './raise-store.ts';
import type { RaiseTransitions } from './raise-transition.ts';
import { isConcurrentChange, RaiseConflictError, RaiseInputError, type LevelRaise, type RaiseState } from './raise-types.ts';

export interface RaiseApprover {
  id: string;
  name: string | null;
}

export interface RaiseDecisionDeps {
  store: RaiseStore;
  audit: AuditAppender;
  clock: () => Date;
  logger?: Logger | undefined;
  rule: () => LevelRaiseRule;
  lockFor: (raiseId: string) => AsyncMutex;
  transitions: RaiseTransitions;
  /** Makes the grants of a raise its approval moved to `granting` (raise-grant-runs.ts). */
  runGrant: (raise: LevelRaise) => Promise<LevelRaise>;
}

type Decision = 'approve' | 'deny';

const userActor = (a: RaiseApprover): AuditActor => ({ kind: 'user', id: a.id, name: a.name });
const noun = (d: Decision) => (d === 'approve' ? 'approval' : 'denial');

/** Who asked, as the directory knows them: an administrator by object id; a person an agent named as resolved then. */
const requesterOf = (r: LevelRaise): RequesterIdentity | undefined =>
  r.requestedBy.kind === 'user'
    ? { status: 'resolved', objectId: r.requestedBy.id.toLowerCase() }
    : r.requestedBy.onBehalfOf === undefined
      ? undefined
      : (r.requestedBy.onBehalfOfIdentity ?? { status: 'unresolved', reason: 'directory_unavailable' });

export function createRaiseDecisions(deps: RaiseDecisionDeps) {
  const { step, revert } = deps.transitions;
  const iso = () => deps.clock().toISOString();

  /**
   * A decision that lost the raise to another one (or to the clock), or found one in flight: on
   * record as a refusal, never as a decision, and a 409 to its caller. The refusal is best effort:
   * the decision changed nothing, whether or not its refusal is recorded.
   */
  async function refuseLost(read: LevelRaise, approver: RaiseApprover, decision: Decision, message: (state: RaiseState) => string): Promise<never> {
    const current = await deps.store.get(read.id).catch(() => read);
    const text = message(current.state);
    await deps.audit.append(raiseEntry('level-raise.refused', current, userActor(approver), { decision, code: 'changed_concurrently', message: text }, 'refused')).catch((err: unknown) => {
      deps.logger?.error({ raise: read.id, decision, reason: oneLine(err) }, 'level raise: could not record a refused decision');
    });
    throw new RaiseConflictError('changed_concurrently', text);
  }
  const lost = (decision: Decision) => (state: RaiseState) => `the raise changed while your ${noun(decision)} was being decided (it is now ${state}): your ${noun(decision)} did not take effect`;
  const inFlight = () => 'another decision on this raise is being recorded: reload the raise in a moment';

  /**
   * A raise whose pending window has passed is expired here and now, not left to the sweeper: only
   * the leader sweeps, every few seconds, and the CLI never does, so a stale raise would otherwise
   * stay approvable (and approving grants real roles). Called inside the raise's lock.
   */
  async function refuseIfPendingExpired(r: LevelRaise, approver: RaiseApprover, decision: Decision): Promise<void> {
    const t = deps.clock();
    if (r.state !== 'pending' || Date.parse(r.pendingUntil) > t.getTime()) return;
    await step(r, { type: 'pending-expired', at: t.toISOString() }, 'level-raise.expired', SYSTEM_ACTOR).catch((err: unknown) =>
      isConcurrentChange(err) ? refuseLost(r, approver, decision, lost(decision)) : Promise.reject(err),
    );
    throw new RaiseConflictError('invalid_state', `the raise expired before it was ${decision === 'approve' ? 'approved' : 'denied'}`);
  }

  /** Whether this approval meets the policy, and whether it is the last one needed. */
  function countApproval(r: LevelRaise, approver: RaiseApprover) {
    // Four eyes by object id, as for requests; the agent's own spelling also counts (stricter, never looser).
    const requester = requesterOf(r);
    const spelled = r.requestedBy.kind === 'agent' ? r.requestedBy.onBehalfOf?.toLowerCase() : undefined;
    const isRequester = (requester?.status === 'resolved' && requester.objectId === approver.id.toLowerCase()) || (spelled !== undefined && [approver.id, approver.name].some((x) => x?.toLowerCase() === spelled));
    if (isRequester && !deps.rule().requesterMayApprove) throw new RaiseInputError('requester_may_not_approve', 'whoever asked for the raise cannot approve it (approvals.yaml levelRaise.requesterMayApprove)');
    if (r.approvals.some((a) => a.approverId.toLowerCase() === approver.id.toLowerCase())) throw new RaiseConflictError('already_approved', 'you have already approved this raise');
    const approvals = r.approvals.length + 1;
    // Someone the directory could not pin down may be among the approvers: one more is needed.
    const approversRequired = deps.rule().approversRequired + (requester?.status === 'unresolved' ? 1 : 0);
    return { approvals, approversRequired, enough: approvals >= approversRequired, facts: { approvals, approversRequired, ...(requester?.status === 'unresolved' ? { requesterUnresolved: requester.reason } : {}) } };
  }

  /** The approval is on record: written so, it counts and may grant. A failure here leaves it to the sweeper. */
  async function markRecorded(won: LevelRaise, approver: RaiseApprover): Promise<LevelRaise> {
    try {
      return await deps.store.update(withApprovalsRecorded(won));
    } catch (err) {
      // Ended meanwhile (an administrator, or the sweeper once the grace had passed): the approval is on record but took no effect.
      if (isConcurrentChange(err)) return refuseLost(won, approver, 'approve', (state) => `your approval is on record, but the raise changed while it was being recorded (it is now ${state}): it did not take effect`);
      deps.logger?.error({ raise: won.id, reason: oneLine(err) }, 'level raise: an approval is on record but the raise could not be written so; nothing is granted, and the sweeper ends the raise');
      throw err;
    }
  }

  return {
    async approve(raiseId: string, approver: RaiseApprover, reason: string | null): Promise<LevelRaise> {
      return deps.lockFor(raiseId).runExclusive(async () => {
        const r = await deps.store.get(raiseId);
        if (approvalInFlight(r)) return refuseLost(r, approver, 'approve', inFlight);
        await refuseIfPendingExpired(r, approver, 'approve');
        if (r.state !== 'pending') throw new RaiseConflictError('invalid_state', `the raise is ${r.state}: it cannot be approved`);
        const { enough, facts } = countApproval(r, approver);
        const at = iso();
        const next = applyRaiseEvent(r, { type: 'approve', approval: { approverId: approver.id, approverName: approver.name, at, reason, recorded: false }, enough, at });
        const won = await deps.store.update(next).catch((err: unknown) => (isConcurrentChange(err) ? refuseLost(r, approver, 'approve', lost('approve')) : Promise.reject(err)));
        try {
          await deps.audit.append(raiseEntry('level-raise.approved', won, userActor(approver), { reason, ...facts }));
        } catch (err) {
          await revert(won, r, 'level-raise.approved');
          throw err;
        }
        const recorded = await markRecorded(won, approver);
        if (recorded.state !== 'granting') return recorded;
        return deps.runGrant(recorded).catch(async (err: unknown) => {
          deps.logger?.warn({ raise: raiseId, reason: oneLine(err) }, 'level raise: grant interrupted; the sweeper resumes it');
          return deps.store.get(raiseId);
        });
      });
    },

    async deny(raiseId: string, approver: RaiseApprover, reason: string | null): Promise<LevelRaise> {
      return deps.lockFor(raiseId).runExclusive(async () => {
        const r = await deps.store.get(raiseId);
        if (approvalInFlight(r)) return refuseLost(r, approver, 'deny', inFlight);
        await refuseIfPendingExpired(r, approver, 'deny');
        return step(r, { type: 'deny', at: iso() }, 'level-raise.denied', userActor(approver), { reason }).catch((err: unknown) =>
          isConcurrentChange(err) ? refuseLost(r, approver, 'deny', lost('deny')) : Promise.reject(err),
        );
      });
    },
  };
}
