import type { RequestState } from './api-types.ts';

/**
 * States after which a request never changes (the service's FINAL_STATES; a test keeps the two
 * equal). The client does not import the service's code: it is its own entry point.
 */
export const FINAL_STATES: readonly RequestState[] = ['succeeded', 'failed', 'denied', 'expired', 'cancelled', 'outcome_unknown'];
/** States that wait on an administrator (consent, approval) or the approved run to start. */
export const WAITING_STATES: readonly RequestState[] = ['pending_consent', 'pending_elevation', 'approved'];

export const isFinalState = (state: RequestState): boolean => FINAL_STATES.includes(state);
