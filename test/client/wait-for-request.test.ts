/**
 * The long-poll loop over a scripted `get`: it follows state changes until the request is final,
 * pauses for Retry-After (or a jittered backoff) after a 429/503, stops at its deadline with the
 * latest state, passes the API's other errors through, and stops at once on abort.
 */
import { describe, expect, it } from 'vitest';
import type { OperationRequest } from '../../src/client/api-types.ts';
import type { ElevateResult } from '../../src/client/client-errors.ts';
import { waitForRequest, type LongPollGet } from '../../src/client/wait-for-request.ts';

const req = (state: OperationRequest['state']) => ({ id: 'r1', state }) as OperationRequest;
const ok = (state: OperationRequest['state']): ElevateResult<OperationRequest> => ({ ok: true, status: 200, value: req(state) });

/** A clock the scripted get advances by the seconds each poll waited (as a real long-poll would). */
function scripted(answers: Array<ElevateResult<OperationRequest>>) {
  let t = 0;
  const calls: number[] = [];
  const get: LongPollGet = async (_id, waitSeconds) => {
    calls.push(waitSeconds);
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next.ok && !['succeeded', 'failed', 'denied', 'cancelled', 'expired', 'outcome_unknown'].includes(next.value.state) && answers.length === 0) t += waitSeconds * 1000;
    return next;
  };
  return { get, calls, now: () => t, advance: (ms: number) => (t += ms) };
}

describe('waitForRequest', () => {
  it('long-polls through the states until the request is final', async () => {
    const s = scripted([ok('pending_elevation'), ok('approved'), ok('executing'), ok('succeeded')]);
    const r = await waitForRequest(s.get, 'r1', { timeoutSeconds: 300 }, { now: s.now });
    expect(r).toMatchObject({ ok: true, value: { state: 'succeeded' } });
    expect(s.calls).toEqual([60, 60, 60, 60]);
  });

  it('asks for no more than the time left, and answers with the latest state at the deadline', async () => {
    const s = scripted([ok('pending_elevation')]);
    const r = await waitForRequest(s.get, 'r1', { timeoutSeconds: 12 }, { now: s.now });
    expect(s.calls).toEqual([12]);
    expect(r).toMatchObject({ ok: true, value: { state: 'pending_elevation' } });
  });

  it("pauses for the server's Retry-After after a 429, then polls again", async () => {
    const s = scripted([{ ok: false, error: { status: 429, code: 'rate_limited', message: 'slow down', retryAfterSeconds: 0 } }, ok('succeeded')]);
    const r = await waitForRequest(s.get, 'r1', { timeoutSeconds: 30 }, { now: s.now, random: () => 0.5 });
    expect(r).toMatchObject({ ok: true, value: { state: 'succeeded' } });
    expect(s.calls).toHaveLength(2);
  });

  it('returns the 429 when its Retry-After is beyond the deadline, rather than sleeping past it', async () => {
    const s = scripted([{ ok: false, error: { status: 429, code: 'rate_limited', message: 'slow down', retryAfterSeconds: 120 } }]);
    const r = await waitForRequest(s.get, 'r1', { timeoutSeconds: 30 }, { now: s.now });
    expect(r).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterSeconds: 120 } });
  });

  it("passes the API's other errors through at once", async () => {
    const s = scripted([{ ok: false, error: { status: 404, code: 'not_found', message: 'no such operation request' } }]);
    expect(await waitForRequest(s.get, 'r1', {}, { now: s.now })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(s.calls).toHaveLength(1);
  });

  it('stops at once when the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const s = scripted([ok('pending_elevation')]);
    expect(await waitForRequest(s.get, 'r1', { signal: controller.signal }, { now: s.now })).toMatchObject({ ok: false, error: { code: 'aborted', status: 0 } });
    expect(s.calls).toHaveLength(0);
  });
});
