/**
 * The lifecycle of an operation request, as data. Every state change anywhere in Elevate goes
 * through `transition`; the store then applies it as a compare-and-set on the current state, so
 * this table is the whole truth about what may follow what.
 *
 *   pending_consent | pending_elevation --approve--> approved --start--> executing --succeed--> succeeded
 *                                                                                 --fail-----> failed
 *   pending_* | approved --deny | expire | cancel--> denied | expired | cancelled
 *   executing --unknown--> outcome_unknown
 *
 * `unknown` is the reconciler's (execution-reconciler.ts): an execution interrupted by a crash
 * whose end cannot be learnt from its durable record ends there, explicitly, and is never run
 * again. `executing` has no other way out than succeed / fail / unknown: nothing re-starts it.
 *
 * Requests the pipeline allows outright are created `approved` and take the same
 * approved -> executing -> succeeded|failed path, so every execution is recorded the same way.
 */
import type { DecisionOutcome, RequestState } from './operation-types.ts';

export const REQUEST_EVENTS = ['approve', 'deny', 'expire', 'cancel', 'start', 'succeed', 'fail', 'unknown'] as const;
export type RequestEvent = (typeof REQUEST_EVENTS)[number];

const TABLE: Readonly<Record<RequestState, Partial<Record<RequestEvent, RequestState>>>> = {
  pending_consent: { approve: 'approved', deny: 'denied', expire: 'expired', cancel: 'cancelled' },
  pending_elevation: { approve: 'approved', deny: 'denied', expire: 'expired', cancel: 'cancelled' },
  // An approved request that has not started can still be withdrawn or run out of time; once
  // `start` wins, it runs to an end.
  approved: { start: 'executing', cancel: 'cancelled', expire: 'expired' },
  executing: { succeed: 'succeeded', fail: 'failed', unknown: 'outcome_unknown' },
  succeeded: {},
  failed: {},
  denied: {},
  expired: {},
  cancelled: {},
  outcome_unknown: {},
};

export const FINAL_STATES: readonly RequestState[] = ['succeeded', 'failed', 'denied', 'expired', 'cancelled', 'outcome_unknown'];
/** States that wait on a person or the clock, and so carry an expiry time. */
export const WAITING_STATES: readonly RequestState[] = ['pending_consent', 'pending_elevation', 'approved'];

export class TransitionError extends Error {
  override name = 'TransitionError';
  constructor(
    readonly from: RequestState,
    readonly event: RequestEvent,
  ) {
    super(`a request that is ${from.replace('_', ' ')} cannot ${event === 'start' ? 'start executing' : event === 'unknown' ? 'end with an unknown outcome' : event}`);
  }
}

export type TransitionResult = { ok: true; from: RequestState; to: RequestState } | { ok: false; error: TransitionError };

export function transition(current: RequestState, event: RequestEvent): TransitionResult {
  const next = TABLE[current][event];
  return next === undefined ? { ok: false, error: new TransitionError(current, event) } : { ok: true, from: current, to: next };
}

/** The states from which `event` is allowed (what a CAS may expect to find). */
export function statesAllowing(event: RequestEvent): RequestState[] {
  return (Object.keys(TABLE) as RequestState[]).filter((s) => TABLE[s][event] !== undefined);
}

export function isFinal(state: RequestState): boolean {
  return FINAL_STATES.includes(state);
}

/** Where a new request starts, from the pipeline's outcome; forbidden operations create none. */
export function initialState(outcome: Exclude<DecisionOutcome, 'forbidden'>): RequestState {
  switch (outcome) {
    case 'execute':
      return 'approved';
    case 'pending_consent':
      return 'pending_consent';
    case 'pending_elevation':
      return 'pending_elevation';
  }
}
