import { describe, expect, it } from 'vitest';
import { REQUEST_STATES, type RequestState } from '../../src/operations/operation-types.ts';
import { FINAL_STATES, initialState, isFinal, REQUEST_EVENTS, statesAllowing, transition, TransitionError, type RequestEvent } from '../../src/operations/request-state-machine.ts';

/** The whole table, spelled out: every (state, event) pair not listed here must be refused. */
const ALLOWED: Array<[RequestState, RequestEvent, RequestState]> = [
  ['pending_consent', 'approve', 'approved'],
  ['pending_consent', 'deny', 'denied'],
  ['pending_consent', 'expire', 'expired'],
  ['pending_consent', 'cancel', 'cancelled'],
  ['pending_elevation', 'approve', 'approved'],
  ['pending_elevation', 'deny', 'denied'],
  ['pending_elevation', 'expire', 'expired'],
  ['pending_elevation', 'cancel', 'cancelled'],
  ['approved', 'start', 'executing'],
  ['approved', 'cancel', 'cancelled'],
  ['approved', 'expire', 'expired'],
  ['executing', 'succeed', 'succeeded'],
  ['executing', 'fail', 'failed'],
  ['executing', 'unknown', 'outcome_unknown'],
];

describe('request state machine', () => {
  it('allows exactly the documented transitions', () => {
    for (const state of REQUEST_STATES) {
      for (const event of REQUEST_EVENTS) {
        const expected = ALLOWED.find(([s, e]) => s === state && e === event)?.[2];
        const result = transition(state, event);
        if (expected) expect(result).toEqual({ ok: true, from: state, to: expected });
        else {
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(result.error).toBeInstanceOf(TransitionError);
            expect(result.error.from).toBe(state);
            expect(result.error.event).toBe(event);
          }
        }
      }
    }
  });

  it('never leaves a final state and never executes twice', () => {
    for (const state of FINAL_STATES) {
      expect(isFinal(state)).toBe(true);
      for (const event of REQUEST_EVENTS) expect(transition(state, event).ok).toBe(false);
    }
    // the only way into executing is from approved
    expect(statesAllowing('start')).toEqual(['approved']);
    expect(transition('executing', 'start').ok).toBe(false);
    expect(transition('succeeded', 'start').ok).toBe(false);
  });

  it('cannot approve an approved, denied or executing request', () => {
    for (const s of ['approved', 'denied', 'executing', 'expired', 'cancelled'] as const) expect(transition(s, 'approve').ok).toBe(false);
  });

  it('ends an interrupted execution as outcome_unknown, a final state nothing re-runs (issue 11.2)', () => {
    expect(statesAllowing('unknown')).toEqual(['executing']);
    expect(isFinal('outcome_unknown')).toBe(true);
    for (const event of REQUEST_EVENTS) expect(transition('outcome_unknown', event).ok).toBe(false);
    // executing only ends: nothing moves it back to approved or starts it again
    expect(REQUEST_EVENTS.filter((e) => transition('executing', e).ok).sort()).toEqual(['fail', 'succeed', 'unknown']);
    const r = transition('approved', 'unknown');
    expect(!r.ok && r.error.message).toBe('a request that is approved cannot end with an unknown outcome');
  });

  it('starts requests from the pipeline outcome', () => {
    expect(initialState('execute')).toBe('approved');
    expect(initialState('pending_consent')).toBe('pending_consent');
    expect(initialState('pending_elevation')).toBe('pending_elevation');
  });

  it('explains refusals in words', () => {
    const r = transition('succeeded', 'cancel');
    expect(!r.ok && r.error.message).toBe('a request that is succeeded cannot cancel');
    const s = transition('pending_consent', 'start');
    expect(!s.ok && s.error.message).toBe('a request that is pending consent cannot start executing');
  });
});
