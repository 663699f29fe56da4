/**
 * "No audit entry, no action" for a raise's decisions, when the audit log or the store fails at the
 * decision, or the deciding instance stops between winning the raise and recording the decision:
 * Azure never gets a grant for a raise whose approval is not on the audit record, and the raise
 * never stays stuck. It is back where it was (and can be decided again), or the sweeper ends it
 * once the deciding instance has had its grace, saying why. Instances over one database, the
 * sandbox's ARM and PIM (support/raise-instances.ts).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPROVAL_RECORDING_GRACE_MS } from '../../src/raises/raise-state-machine.ts';
import { RaiseConflictError } from '../../src/raises/raise-types.ts';
import { ADA, askForRaise, closeOpenRaises, gate, GRACE, raiseInstance, recordOf, startRaiseWorld, type RaiseWorld } from './support/raise-instances.ts';

const GRACE_SECONDS = APPROVAL_RECORDING_GRACE_MS / 1000;

let w: RaiseWorld;
beforeAll(async () => {
  w = await startRaiseWorld();
}, 60_000);
afterAll(async () => {
  await w?.close();
});
beforeEach(() => w.begin());
afterEach(async () => {
  await closeOpenRaises(w, GRACE_SECONDS);
});

const auditDown = async (): Promise<never> => {
  throw new Error('audit log unavailable');
};
/** The entry is never appended: the instance stopped while appending it. `reached` settles when it got there. */
function stopsWhileAppending() {
  const at = gate();
  return { reached: at.reached, run: async (): Promise<never> => (await at.wait(), new Promise<never>(() => {})) };
}

function nothingGranted() {
  expect(w.made).toEqual([]);
  expect(w.newAssignments()).toEqual([]);
}

async function refusedAs409(p: Promise<unknown>) {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RaiseConflictError);
  expect(err).toMatchObject({ code: 'changed_concurrently' });
}

/** The sweeper leaves the raise to its deciding instance for the grace, then ends it without a grant. */
async function sweptWithoutGrant(raiseId: string, expectedWhileWaiting: string) {
  const leader = raiseInstance(w);
  await leader.sweep();
  expect((await leader.get(raiseId)).state).toBe(expectedWhileWaiting);
  nothingGranted();
  w.advance(GRACE_SECONDS + 1);
  await leader.sweep();
  nothingGranted();
  return leader.get(raiseId);
}

describe('the audit log fails at the approval', () => {
  it('refuses the approval: nothing is granted, the raise is pending again, and it can be approved again', async () => {
    const raise = await askForRaise(raiseInstance(w));
    let failures = 1;
    const a = raiseInstance(w, { onAppend: { eventType: 'level-raise.approved', run: (input, append) => (failures-- > 0 ? auditDown() : append(input)) } });
    await expect(a.approve(raise.id, ADA, 'restarts needed')).rejects.toThrow(/audit/);
    expect(await a.get(raise.id)).toMatchObject({ state: 'pending', approvals: [], startsAt: null });
    await raiseInstance(w).sweep();
    nothingGranted();

    const approved = await a.approve(raise.id, ADA, 'restarts needed');
    expect(approved.state).toBe('active');
    expect(w.made).toHaveLength(approved.grants.length);
    expect((await recordOf(w, raise.id)).decisions).toEqual([{ type: 'level-raise.approved', by: ADA.id }]);
  });

  it('and the raise cannot be put back (the store refuses that write): nothing is granted; the sweeper ends the raise after the grace', async () => {
    const raise = await askForRaise(raiseInstance(w));
    // Write 1 wins the raise for the approval; write 2 would take it back.
    const a = raiseInstance(w, { onAppend: { eventType: 'level-raise.approved', run: auditDown }, failWrite: 2 });
    await expect(a.approve(raise.id, ADA, 'restarts needed')).rejects.toThrow(/audit/);
    const ended = await sweptWithoutGrant(raise.id, 'granting');
    expect(ended).toMatchObject({ state: 'ended', endReason: 'grant-failed' });
    expect(ended.verifiedAt).not.toBeNull();
    const record = await recordOf(w, raise.id);
    expect(record.decisions).toEqual([]);
    expect(record.types).toEqual(['level-raise.requested', 'level-raise.grant-failed', 'level-raise.verified-gone']);
    expect(record.entries[1]!.details).toMatchObject({ code: 'approval_unconfirmed' });
  });
});

describe('the approving instance stops between winning the raise and recording the approval', () => {
  it('nothing is granted, other decisions are refused meanwhile (409), and the sweeper ends the raise after the grace', async () => {
    const raise = await askForRaise(raiseInstance(w));
    const stops = stopsWhileAppending();
    void raiseInstance(w, { onAppend: { eventType: 'level-raise.approved', run: stops.run } }).approve(raise.id, ADA, 'restarts needed');
    await stops.reached;
    await refusedAs409(raiseInstance(w).approve(raise.id, GRACE, 'agreed'));

    const ended = await sweptWithoutGrant(raise.id, 'granting');
    expect(ended).toMatchObject({ state: 'ended', endReason: 'grant-failed' });
    const record = await recordOf(w, raise.id);
    expect(record.decisions).toEqual([]);
    expect(record.refused).toMatchObject([{ by: GRACE.id, decision: 'approve', code: 'changed_concurrently' }]);
    expect(record.types).toEqual(['level-raise.requested', 'level-raise.refused', 'level-raise.grant-failed', 'level-raise.verified-gone']);
    expect(record.entries[2]).toMatchObject({ actor: { kind: 'system' }, details: { code: 'approval_unconfirmed' } });
  });

  it('with two approvers required, the first approval’s instance stops: the sweeper cancels the raise after the grace', async () => {
    const raise = await askForRaise(raiseInstance(w, { approversRequired: 2 }));
    const stops = stopsWhileAppending();
    void raiseInstance(w, { approversRequired: 2, onAppend: { eventType: 'level-raise.approved', run: stops.run } }).approve(raise.id, ADA, 'restarts needed');
    await stops.reached;
    // Counting an approval that may never be on record would let the next one grant.
    await refusedAs409(raiseInstance(w, { approversRequired: 2 }).approve(raise.id, GRACE, 'agreed'));

    const cancelled = await sweptWithoutGrant(raise.id, 'pending');
    expect(cancelled.state).toBe('cancelled');
    const record = await recordOf(w, raise.id);
    expect(record.decisions).toEqual([{ type: 'level-raise.cancelled', by: 'elevate' }]);
    expect(record.entries.at(-1)!.details).toMatchObject({ code: 'approval_unconfirmed' });
  });
});

describe('the approval is on record, and the store fails right after', () => {
  it('nothing is granted; the sweeper ends the raise after the grace, and the log says why', async () => {
    const raise = await askForRaise(raiseInstance(w));
    // Write 1 wins the raise; write 2, after the entry, would let the approval act.
    const a = raiseInstance(w, { failWrite: 2 });
    await expect(a.approve(raise.id, ADA, 'restarts needed')).rejects.toThrow(/I\/O/);
    const ended = await sweptWithoutGrant(raise.id, 'granting');
    expect(ended).toMatchObject({ state: 'ended', endReason: 'grant-failed' });
    const record = await recordOf(w, raise.id);
    expect(record.types).toEqual(['level-raise.requested', 'level-raise.approved', 'level-raise.grant-failed', 'level-raise.verified-gone']);
    expect(record.entries[2]!.details).toMatchObject({ code: 'approval_unconfirmed' });
  });
});

describe('the audit log fails at the deny', () => {
  it('refuses the deny: the raise is pending again and can still be approved', async () => {
    const raise = await askForRaise(raiseInstance(w));
    const b = raiseInstance(w, { onAppend: { eventType: 'level-raise.denied', run: auditDown } });
    await expect(b.deny(raise.id, GRACE, 'no')).rejects.toThrow(/audit/);
    expect((await b.get(raise.id)).state).toBe('pending');
    const approved = await raiseInstance(w).approve(raise.id, ADA, 'restarts needed');
    expect(approved.state).toBe('active');
    expect((await recordOf(w, raise.id)).decisions).toEqual([{ type: 'level-raise.approved', by: ADA.id }]);
  });
});
