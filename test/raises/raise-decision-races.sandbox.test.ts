/**
 * Decisions on one raise racing across instances of Elevate (two raise services over one
 * database, the sandbox's ARM and PIM): two approvers, an approval and a deny, an approval and the
 * leader's expiry sweep. Whoever loses the raise's version-checked write records only a refusal
 * (`level-raise.refused`, `changed_concurrently`) and gets a 409, never a decision of its own, so
 * the audit log holds one decision per raise and says what the store says; Azure gets the grants
 * at most once. Each race is forced (the racers are held past their reads), not left to timing.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPROVAL_RECORDING_GRACE_MS } from '../../src/raises/raise-state-machine.ts';
import { RaiseConflictError, type LevelRaise } from '../../src/raises/raise-types.ts';
import { ADA, askForRaise, barrier, closeOpenRaises, gate, GRACE, PENDING_TTL_SECONDS, raiseInstance, recordOf, startRaiseWorld, type RaiseWorld } from './support/raise-instances.ts';

let w: RaiseWorld;
beforeAll(async () => {
  w = await startRaiseWorld();
}, 60_000);
afterAll(async () => {
  await w?.close();
});
beforeEach(() => w.begin());
afterEach(async () => {
  await closeOpenRaises(w, APPROVAL_RECORDING_GRACE_MS / 1000);
});

const refusedAs409 = (err: unknown) => {
  expect(err).toBeInstanceOf(RaiseConflictError);
  expect(err).toMatchObject({ code: 'changed_concurrently' });
};

/** The grants of an active raise reached Azure once each, and are what Azure holds for it. */
function grantedOnce(r: LevelRaise) {
  expect(r.state).toBe('active');
  expect(r.grants.length).toBeGreaterThan(0);
  expect(w.made.sort()).toEqual(r.grants.map((g) => `${g.roleName}@${g.scope}`).sort());
  expect(w.newAssignments()).toHaveLength(r.grants.length);
}

function nothingGranted() {
  expect(w.made).toEqual([]);
  expect(w.newAssignments()).toEqual([]);
}

describe('two approvers on two instances', () => {
  it('records one approval (the winner’s) and the loser’s refusal (409); Azure gets the grants once', async () => {
    const raise = await askForRaise(raiseInstance(w));
    // Both instances have read the raise pending before either writes its decision.
    const together = barrier(2);
    const [a, b] = [raiseInstance(w, { beforeFirstWrite: together }), raiseInstance(w, { beforeFirstWrite: together })];
    const results = await Promise.allSettled([a.approve(raise.id, ADA, 'restarts needed'), b.approve(raise.id, GRACE, 'agreed')]);

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const won = results.findIndex((r) => r.status === 'fulfilled');
    const [winner, loser] = won === 0 ? [ADA, GRACE] : [GRACE, ADA];
    const record = await recordOf(w, raise.id);
    expect(record.decisions).toEqual([{ type: 'level-raise.approved', by: winner.id }]);
    expect(record.refused).toMatchObject([{ by: loser.id, decision: 'approve', code: 'changed_concurrently' }]);
    refusedAs409((results[1 - won] as PromiseRejectedResult).reason);
    grantedOnce((results[won] as PromiseFulfilledResult<LevelRaise>).value);
    expect(record.types.filter((t) => t !== 'level-raise.refused')).toEqual(['level-raise.requested', 'level-raise.approved', 'level-raise.granted']);
    expect((await a.get(raise.id)).approvals.map((x) => x.approverId)).toEqual([winner.id]);
  });
});

describe('an approval and a deny on two instances', () => {
  it('the deny comes first: the approval records only its refusal (409) and nothing is granted', async () => {
    const raise = await askForRaise(raiseInstance(w));
    const held = gate();
    const a = raiseInstance(w, { beforeFirstWrite: held.wait });
    const approving = a.approve(raise.id, ADA, 'restarts needed').catch((err: unknown) => err);
    await held.reached;
    expect(await raiseInstance(w).deny(raise.id, GRACE, 'not during the freeze')).toMatchObject({ state: 'denied' });
    held.open();
    const refusal = await approving;

    const record = await recordOf(w, raise.id);
    expect(record.decisions).toEqual([{ type: 'level-raise.denied', by: GRACE.id }]);
    expect(record.refused).toMatchObject([{ by: ADA.id, decision: 'approve', code: 'changed_concurrently' }]);
    refusedAs409(refusal);
    expect(await a.get(raise.id)).toMatchObject({ state: 'denied', approvals: [] });
    nothingGranted();
  });

  it('the approval comes first: the deny records only its refusal (409); the raise is granted once', async () => {
    const raise = await askForRaise(raiseInstance(w));
    const held = gate();
    const b = raiseInstance(w, { beforeFirstWrite: held.wait });
    const denying = b.deny(raise.id, GRACE, 'not during the freeze').catch((err: unknown) => err);
    await held.reached;
    const approved = await raiseInstance(w).approve(raise.id, ADA, 'restarts needed');
    held.open();
    const refusal = await denying;

    const record = await recordOf(w, raise.id);
    expect(record.decisions).toEqual([{ type: 'level-raise.approved', by: ADA.id }]);
    expect(record.refused).toMatchObject([{ by: GRACE.id, decision: 'deny', code: 'changed_concurrently' }]);
    refusedAs409(refusal);
    grantedOnce(approved);
    expect((await b.get(raise.id)).state).toBe('active');
  });
});

describe('an approval and the leader’s expiry sweep', () => {
  it('the sweeper expires the raise first: the approval records only its refusal (409); nothing is granted', async () => {
    const raise = await askForRaise(raiseInstance(w));
    // The approver read the raise just before its pending window closed...
    const held = gate();
    const a = raiseInstance(w, { beforeFirstWrite: held.wait });
    const approving = a.approve(raise.id, ADA, 'restarts needed').catch((err: unknown) => err);
    await held.reached;
    // ...and the leader's sweeper, on another instance, expires it before the approval is written.
    w.advance(PENDING_TTL_SECONDS + 1);
    await raiseInstance(w).sweep();
    held.open();
    const refusal = await approving;

    const record = await recordOf(w, raise.id);
    expect(record.decisions).toEqual([{ type: 'level-raise.expired', by: 'elevate' }]);
    expect(record.refused).toMatchObject([{ by: ADA.id, decision: 'approve', code: 'changed_concurrently' }]);
    refusedAs409(refusal);
    expect((await a.get(raise.id)).state).toBe('expired');
    nothingGranted();
  });

  it('the approval is written first: the sweeper’s expiry records nothing; the raise is granted once', async () => {
    const raise = await askForRaise(raiseInstance(w));
    // Each waits for the other to have read the raise; then the approval writes first.
    const approverAt = gate();
    const sweeperAt = gate();
    const a = raiseInstance(w, { beforeFirstWrite: async () => (await approverAt.wait(), await sweeperAt.reached) });
    const sweeper = raiseInstance(w, { beforeFirstWrite: sweeperAt.wait });
    const approving = a.approve(raise.id, ADA, 'restarts needed');
    await approverAt.reached;
    w.advance(PENDING_TTL_SECONDS + 1);
    const sweeping = sweeper.sweep();
    approverAt.open();
    const approved = await approving;
    sweeperAt.open();
    await sweeping;
    grantedOnce(approved);

    const record = await recordOf(w, raise.id);
    expect(record.decisions).toEqual([{ type: 'level-raise.approved', by: ADA.id }]);
    expect(record.refused).toEqual([]);
    expect(record.types).toEqual(['level-raise.requested', 'level-raise.approved', 'level-raise.granted']);
    // The next pass finds the raise active in its window: nothing more to do.
    await sweeper.sweep();
    expect((await sweeper.get(raise.id)).state).toBe('active');
    expect(w.made).toHaveLength(approved.grants.length);
  });
});

describe('between the approval’s write and its audit entry', () => {
  it('the sweeper on another instance grants nothing until the approval is on record; then Azure gets the grants once', async () => {
    const raise = await askForRaise(raiseInstance(w));
    const recording = gate();
    const a = raiseInstance(w, { onAppend: { eventType: 'level-raise.approved', run: async (input, append) => (await recording.wait(), append(input)) } });
    const approving = a.approve(raise.id, ADA, 'restarts needed');
    await recording.reached;
    const leader = raiseInstance(w);
    await leader.sweep();
    nothingGranted();
    // Nor does another decision slip in meanwhile.
    refusedAs409(await leader.deny(raise.id, GRACE, 'no').catch((err: unknown) => err));
    recording.open();
    const approved = await approving;
    await leader.sweep();
    grantedOnce(approved);
    const record = await recordOf(w, raise.id);
    expect(record.decisions).toEqual([{ type: 'level-raise.approved', by: ADA.id }]);
    expect(record.refused).toMatchObject([{ by: GRACE.id, decision: 'deny', code: 'changed_concurrently' }]);
  });
});

describe('an administrator’s end and the sweeper’s end of the window', () => {
  it('the sweeper ends the raise first: the administrator’s end finds it ended and records nothing; one `ended` entry', async () => {
    const raise = await askForRaise(raiseInstance(w));
    const active = await raiseInstance(w).approve(raise.id, ADA, 'restarts needed');
    grantedOnce(active);
    const held = gate();
    const admin = raiseInstance(w, { beforeFirstWrite: held.wait });
    const ending = admin.end(raise.id, GRACE);
    await held.reached;
    w.advance(active.durationMinutes * 60 + 1);
    await raiseInstance(w).sweep();
    held.open();
    expect(await ending).toMatchObject({ state: 'ended', endReason: 'expired' });

    const record = await recordOf(w, raise.id);
    expect(record.entries.filter((e) => e.eventType === 'level-raise.ended').map((e) => [e.actor.id, (e.details as { reason: string }).reason])).toEqual([['elevate', 'expired']]);
    expect(record.types).toEqual(['level-raise.requested', 'level-raise.approved', 'level-raise.granted', 'level-raise.ended', 'level-raise.verified-gone']);
    expect(w.newAssignments()).toEqual([]);
  });
});
