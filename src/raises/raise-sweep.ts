/**
 * One pass of the raise sweeper (the leader's, every ELEVATE_RAISE_SWEEP_SECONDS; raise-sweeper.ts
 * runs it): expire raises nobody approved in time, resume grants an outage or a crash interrupted,
 * end due windows, retry revokes, and end raises whose approval never reached the audit record.
 *
 * An approval in flight (won on the raise, its entry not yet appended: raise-decisions.ts) is left
 * to the instance recording it: the raise is neither expired nor granted meanwhile, so nothing acts
 * on a decision that is not on record. Past APPROVAL_RECORDING_GRACE_MS that instance stopped, or
 * the store failed after the entry, and whether the entry exists cannot be known here. The raise is
 * then ended without a grant, never taken back to pending (the log may already say "approved"):
 * a pending one is cancelled, a granting one fails its grant (nothing was made) and is verified
 * gone, each entry saying why (`approval_unconfirmed`).
 */
import type { Logger } from '../observability/logger.ts';
import type { AsyncMutex } from '../store/async-mutex.ts';
import { grantsFacts, SYSTEM_ACTOR } from './raise-audit.ts';
import type { GrantRuns } from './raise-grant-runs.ts';
import { oneLine } from './raise-grant-removal.ts';
import { APPROVAL_RECORDING_GRACE_MS, approvalInFlight, isDue } from './raise-state-machine.ts';
import type { RaiseStore } from './raise-store.ts';
import type { RaiseTransitions } from './raise-transition.ts';
import type { LevelRaise, RaiseApproval } from './raise-types.ts';

export interface RaiseSweepDeps {
  store: RaiseStore;
  clock: () => Date;
  logger?: Logger | undefined;
  lockFor: (raiseId: string) => AsyncMutex;
  step: RaiseTransitions['step'];
  runs: GrantRuns;
}

export function createRaiseSweep(deps: RaiseSweepDeps): () => Promise<void> {
  const { step, runs } = deps;

  async function endUnconfirmed(r: LevelRaise, approval: RaiseApproval, at: string): Promise<void> {
    const why = `the approval by ${approval.approverName ?? approval.approverId} at ${approval.at} was not confirmed on the audit record within ${APPROVAL_RECORDING_GRACE_MS / 1000} s (its instance stopped, or the audit log or the store failed while recording it); nothing was granted`;
    deps.logger?.warn({ raise: r.id, approver: approval.approverId, at: approval.at }, 'level raise: an approval never reached the audit record; the raise is ended without a grant');
    if (r.state === 'pending') {
      await step(r, { type: 'cancel', at }, 'level-raise.cancelled', SYSTEM_ACTOR, { code: 'approval_unconfirmed', reason: why });
      return;
    }
    const failed = await step(r, { type: 'grant-failed', mode: r.mode, modeReason: r.modeReason, grants: r.grants, error: why, at }, 'level-raise.grant-failed', SYSTEM_ACTOR, {
      code: 'approval_unconfirmed',
      error: why,
      grants: grantsFacts(r.grants),
    });
    await runs.runRevoke(failed);
  }

  async function sweepRaise(id: string): Promise<void> {
    const r = await deps.store.get(id);
    const t = deps.clock();
    const at = t.toISOString();
    const inFlight = approvalInFlight(r);
    if (inFlight) {
      if (t.getTime() - Date.parse(inFlight.at) >= APPROVAL_RECORDING_GRACE_MS) await endUnconfirmed(r, inFlight, at);
      return;
    }
    if (r.state === 'pending' && Date.parse(r.pendingUntil) <= t.getTime()) await step(r, { type: 'pending-expired', at }, 'level-raise.expired', SYSTEM_ACTOR);
    else if (r.state === 'granting') await runs.runGrant(r);
    else if (isDue(r, t)) await runs.runRevoke(await step(r, { type: 'end', reason: 'expired', at }, 'level-raise.ended', SYSTEM_ACTOR, { reason: 'expired' }));
    else if (r.state === 'revoking' && (r.nextAttemptAt === null || Date.parse(r.nextAttemptAt) <= t.getTime())) await runs.runRevoke(r);
  }

  return async function sweepOnce(): Promise<void> {
    for (const open of await deps.store.listOpen()) {
      try {
        await deps.lockFor(open.id).runExclusive(() => sweepRaise(open.id));
      } catch (err) {
        // Lost to another instance's change, or Azure or the audit log failed: the next pass reads the raise again.
        deps.logger?.warn({ raise: open.id, reason: oneLine(err) }, 'level raise sweep: retried on the next pass');
      }
    }
  };
}
