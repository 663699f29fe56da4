import type { EndReason, LevelRaise, RaiseApproval, RaiseGrant, RaiseMode, RaiseState } from './raise-types.ts';
import { RaiseConflictError } from './raise-types.ts';

/**
 * The raise lifecycle as pure functions: each takes a raise and an event, and returns the next
 * raise (a new object) or throws RaiseConflictError when the event does not apply in that state.
 * No clock, no I/O: times come in with the event.
 */

export type RaiseEvent =
  | { type: 'approve'; approval: RaiseApproval; enough: boolean; at: string }
  | { type: 'deny'; at: string }
  | { type: 'cancel'; at: string }
  | { type: 'pending-expired'; at: string }
  | { type: 'granted'; mode: RaiseMode; modeReason: string; grants: RaiseGrant[]; at: string }
  | { type: 'grant-failed'; mode: RaiseMode | null; modeReason: string | null; grants: RaiseGrant[]; error: string; at: string }
  | { type: 'end'; reason: Exclude<EndReason, 'grant-failed'>; at: string }
  | { type: 'revoke-failed'; grants: RaiseGrant[]; error: string; retryAt: string }
  | { type: 'verified-gone'; grants: RaiseGrant[]; at: string };

const ALLOWED: Record<RaiseEvent['type'], readonly RaiseState[]> = {
  approve: ['pending'],
  deny: ['pending'],
  cancel: ['pending'],
  'pending-expired': ['pending'],
  granted: ['granting'],
  'grant-failed': ['granting'],
  end: ['active', 'granting'],
  'revoke-failed': ['revoking'],
  'verified-gone': ['revoking'],
};

export function canApply(raise: Pick<LevelRaise, 'state'>, type: RaiseEvent['type']): boolean {
  return ALLOWED[type].includes(raise.state);
}

export function applyRaiseEvent(raise: LevelRaise, event: RaiseEvent): LevelRaise {
  if (!canApply(raise, event.type)) throw new RaiseConflictError('invalid_state', `the raise is ${raise.state}: cannot ${event.type.replace('-', ' ')}`);
  const next: LevelRaise = { ...raise, grants: raise.grants.map((g) => ({ ...g })), approvals: [...raise.approvals] };
  switch (event.type) {
    case 'approve': {
      next.approvals.push(event.approval);
      if (event.enough) {
        next.state = 'granting';
        // The window starts when the raise is approved, not when it was asked for.
        next.startsAt = event.at;
        next.endsAt = new Date(Date.parse(event.at) + raise.durationMinutes * 60_000).toISOString();
      }
      return next;
    }
    case 'deny':
      return { ...next, state: 'denied', endedAt: event.at };
    case 'cancel':
      return { ...next, state: 'cancelled', endedAt: event.at };
    case 'pending-expired':
      return { ...next, state: 'expired', endedAt: event.at };
    case 'granted':
      return { ...next, state: 'active', mode: event.mode, modeReason: event.modeReason, grants: event.grants, lastError: null };
    case 'grant-failed':
      // Whatever was made is removed: the raise goes straight to revoking.
      return { ...next, state: 'revoking', mode: event.mode, modeReason: event.modeReason, grants: event.grants, endReason: 'grant-failed', endedAt: event.at, lastError: event.error, nextAttemptAt: event.at };
    case 'end':
      return { ...next, state: 'revoking', endReason: event.reason, endedAt: event.at, nextAttemptAt: event.at };
    case 'revoke-failed':
      return { ...next, grants: event.grants, revokeAttempts: raise.revokeAttempts + 1, lastError: event.error, nextAttemptAt: event.retryAt };
    case 'verified-gone':
      return { ...next, state: 'ended', grants: event.grants, verifiedAt: event.at, revokeAttempts: raise.revokeAttempts + 1, lastError: null, nextAttemptAt: null };
  }
}

/** The moment a raise's window ends, for an active raise. */
export function isDue(raise: Pick<LevelRaise, 'state' | 'endsAt'>, now: Date): boolean {
  return raise.state === 'active' && raise.endsAt !== null && Date.parse(raise.endsAt) <= now.getTime();
}

/** Whether the raise's grants are meant to be in force at `now` (the plan does not call them drift). */
export function holdsGrants(raise: Pick<LevelRaise, 'state' | 'endsAt'>, now: Date): boolean {
  return (raise.state === 'active' || raise.state === 'granting') && raise.endsAt !== null && Date.parse(raise.endsAt) > now.getTime();
}

/**
 * How long an approval may stay not yet on record (RaiseApproval.recorded) before the sweeper ends
 * the raise without a grant: far longer than an audit append takes, so only an instance that
 * stopped, or a store that failed after the entry, leaves one that long.
 */
export const APPROVAL_RECORDING_GRACE_MS = 120_000;

/**
 * The approval of an open raise that is not on the audit record yet: until it is, no other decision
 * is taken on the raise, and nothing is granted for it.
 */
export function approvalInFlight(raise: Pick<LevelRaise, 'state' | 'approvals'>): RaiseApproval | undefined {
  if (raise.state !== 'pending' && raise.state !== 'granting') return undefined;
  return raise.approvals.find((a) => a.recorded === false);
}

/** The raise once its approval's entry is appended: the approval counts, and may make grants. */
export function withApprovalsRecorded(raise: LevelRaise): LevelRaise {
  return { ...raise, approvals: raise.approvals.map((a) => (a.recorded === false ? { approverId: a.approverId, approverName: a.approverName, at: a.at, reason: a.reason } : a)) };
}

/** Revocation retries: 5 s, 10 s, 20 s ... capped at 5 minutes, for ever. */
export function retryDelayMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.min(attempts, 10), 300_000);
}
