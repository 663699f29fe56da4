/**
 * Decisions racing across instances, and against the clock: whoever loses the request's
 * compare-and-set records only a refusal (`approval.refused`), never `approval.decided`, so the
 * audit log holds one decision per request and says the same as the store; the operation runs at
 * most once. Each race is forced (the racers are held past their reads), not left to timing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalsModule } from '../../src/approvals/approvals-module.ts';
import type { DecisionResult } from '../../src/approvals/decision-results.ts';
import { createHarness, type Harness } from '../operations/support/operations-harness.ts';
import { ADA, API_TOKEN, approvalsInstance, armToken, barrier, GRACE, privileged, raise, recordOf, signInFor } from './support/approval-instances.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const winnerAndLoser = (results: DecisionResult[]) => {
  expect(results.map((r) => r.kind).sort()).toEqual(['executed', 'refused']);
  return { won: results.findIndex((r) => r.kind === 'executed'), lost: results.findIndex((r) => r.kind === 'refused') };
};

/** Two instances whose exchanges both wait until both approvers are exchanging (past every read). */
function twoInstancesExchangingTogether(): [ApprovalsModule, ApprovalsModule] {
  const together = barrier(2);
  const exchange = async () => {
    await together();
    return armToken();
  };
  return [approvalsInstance(h, { exchange }), approvalsInstance(h, { exchange })];
}

describe('elevation: two approvers on two instances', () => {
  it('records one approval.decided (the winner), the loser’s refusal, and runs the operation once', async () => {
    const request = await raise(h);
    const [a, b] = twoInstancesExchangingTogether();
    expect(await a.approve(request.id, ADA, 'restart it')).toMatchObject({ kind: 'sign_in' });
    expect(await b.approve(request.id, GRACE, 'restart it too')).toMatchObject({ kind: 'sign_in' });

    const results = await Promise.all([a.completeElevation(signInFor(ADA, request.id)), b.completeElevation(signInFor(GRACE, request.id))]);
    const { won, lost } = winnerAndLoser(results);
    const [winner, loser] = [[ADA, GRACE][won]!, [ADA, GRACE][lost]!];
    expect(results[lost]).toMatchObject({ kind: 'refused', status: 409, code: 'changed_concurrently' });

    const record = await recordOf(h, request.id);
    expect(record.decided.map((e) => e.approverId)).toEqual([winner.oid]);
    expect(record.refused.map((e) => [e.approverId, e.details.decision, e.details.code])).toEqual([[loser.oid, 'approve', 'changed_concurrently']]);
    expect(record.transitions).toEqual(['approved', 'executing', 'succeeded']);
    expect(h.armCalls).toHaveLength(1);
    expect(await h.module.store.countExecutions(request.id)).toBe(1);
    // Both exchanged; only the winner's token was used, and both were discarded.
    expect(record.discarded.map((e) => [e.approverId, e.details.used]).sort()).toEqual([[winner.oid, true], [loser.oid, false]].sort());
    await Promise.all([a.close(), b.close()]);
  });

  it('the same through the CLI: an API approval racing a browser approval', async () => {
    const request = await raise(h);
    const [a, b] = twoInstancesExchangingTogether();
    await a.approve(request.id, ADA, 'from the terminal');
    await b.approve(request.id, GRACE, 'from the browser');
    const now = Math.floor(h.clock.now.getTime() / 1000);
    const results = await Promise.all([
      a.completeElevationFromApi({ requestId: request.id, user: ADA, token: { oid: ADA.oid, tid: ADA.tid, reveal: () => API_TOKEN }, issuedAt: now, authTime: now, operationHash: request.operationHash }),
      b.completeElevation(signInFor(GRACE, request.id)),
    ]);
    const { won, lost } = winnerAndLoser(results);
    const record = await recordOf(h, request.id);
    expect(record.decided.map((e) => e.approverId)).toEqual([[ADA, GRACE][won]!.oid]);
    expect(record.refused.map((e) => e.approverId)).toEqual([[ADA, GRACE][lost]!.oid]);
    expect(h.armCalls).toHaveLength(1);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('elevation against a deny, and against the clock', () => {
  it('an approval that a deny overtakes during the exchange records only its refusal; nothing runs', async () => {
    const request = await raise(h);
    const other = approvalsInstance(h);
    const a = approvalsInstance(h, {
      exchange: async () => {
        // Another administrator denies on another instance while Entra answers this one.
        expect(await other.deny(request.id, GRACE, 'not this one')).toMatchObject({ kind: 'denied' });
        return armToken();
      },
    });
    await a.approve(request.id, ADA, 'restart it');
    expect(await a.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'refused', status: 409, code: 'changed_concurrently', request: { state: 'denied' } });

    const record = await recordOf(h, request.id);
    expect(record.decided).toEqual([]);
    expect(record.refused.map((e) => [e.approverId, e.details.decision])).toEqual([[ADA.oid, 'approve']]);
    expect(record.transitions).toEqual(['denied']);
    expect(record.discarded.map((e) => e.details)).toMatchObject([{ used: false, requestState: 'denied' }]);
    expect(h.armCalls).toHaveLength(0);
    await Promise.all([a.close(), other.close()]);
  });

  it('a deny that read the request pending but lost to an approval records its refusal; the approval runs once', async () => {
    const request = await raise(h);
    let approvalDone!: () => void;
    const afterApproval = new Promise<void>((resolve) => (approvalDone = resolve));
    let denierRead!: () => void;
    const denierHasRead = new Promise<void>((resolve) => (denierRead = resolve));
    const lifecycle = h.module.lifecycle;
    // The denier's instance is held between its read (pending) and its transition...
    const deny: typeof lifecycle.deny = async (...args) => {
      denierRead();
      await afterApproval;
      return lifecycle.deny(...args);
    };
    const denier = approvalsInstance(h, { operations: { store: h.module.store, executor: h.module.executor, lifecycle: { ...lifecycle, deny } } });
    // ...and the approval goes on only once the denier has read the request pending.
    const a = approvalsInstance(h, { exchange: async () => (await denierHasRead, armToken()) });
    await a.approve(request.id, ADA, 'restart it');
    const denial = denier.deny(request.id, GRACE, 'no');
    expect(await a.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'executed', request: { state: 'succeeded' } });
    approvalDone();
    expect(await denial).toMatchObject({ kind: 'refused', status: 409, code: 'changed_concurrently' });

    const record = await recordOf(h, request.id);
    expect(record.decided.map((e) => e.approverId)).toEqual([ADA.oid]);
    expect(record.refused.map((e) => [e.approverId, e.details.decision, e.details.code])).toEqual([[GRACE.oid, 'deny', 'changed_concurrently']]);
    expect(record.transitions).toEqual(['approved', 'executing', 'succeeded']);
    expect(h.armCalls).toHaveLength(1);
    await Promise.all([a.close(), denier.close()]);
  });

  for (const how of ['the expiry sweeper ends it', 'no one ends it first'] as const) {
    it(`an approval whose request expires during the exchange records only its refusal (${how}); nothing runs`, async () => {
      const request = await raise(h);
      const a = approvalsInstance(h, {
        exchange: async () => {
          h.clock.advance(3600_000 + 1000);
          if (how === 'the expiry sweeper ends it') expect(await h.module.sweep()).toBe(1);
          return armToken();
        },
      });
      await a.approve(request.id, ADA, 'restart it');
      expect(await a.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'refused', status: 409, request: { state: 'expired' } });

      const record = await recordOf(h, request.id);
      expect(record.decided).toEqual([]);
      expect(record.refused.map((e) => [e.approverId, e.details.code])).toEqual([[ADA.oid, 'changed_concurrently']]);
      expect(record.transitions).toEqual(['expired']);
      expect(h.armCalls).toHaveLength(0);
      await a.close();
    });
  }
});

describe('consent: two approvers on two instances', () => {
  it('records one approve transition, the loser’s refusal, and runs the operation once', async () => {
    const request = await raise(h, privileged, { kind: 'chat' });
    expect(request.state).toBe('pending_consent');
    // Both instances reviewed the request (pending) before either approves it.
    const together = barrier(2);
    const agents = { get: async (id: string) => (await together(), id === privileged.id ? privileged : undefined) };
    const [a, b] = [approvalsInstance(h, { agents }), approvalsInstance(h, { agents })];

    const results = await Promise.all([a.approve(request.id, ADA, 'ok'), b.approve(request.id, GRACE, 'ok too')]);
    const { lost } = winnerAndLoser(results);
    expect(results[lost]).toMatchObject({ kind: 'refused', status: 409, code: 'changed_concurrently' });

    const record = await recordOf(h, request.id);
    expect(record.transitions).toEqual(['approved', 'executing', 'succeeded']);
    expect(record.refused.map((e) => [e.approverId, e.details.decision, e.details.code])).toEqual([[[ADA, GRACE][lost]!.oid, 'approve', 'changed_concurrently']]);
    expect(h.armCalls).toHaveLength(1);
    await Promise.all([a.close(), b.close()]);
  });
});
