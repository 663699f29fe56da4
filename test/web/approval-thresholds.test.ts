/**
 * Policies that ask for two distinct administrators: the first approval is recorded and the
 * request stays pending; the last approver's fresh sign-in runs the elevation with their token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickAccount } from '../signin/support/sign-in-steps.ts';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { approveElevation, approveUntilCallback, postDecision, requestPage, restartCheckout, restartPayments } from '../approvals/support/approval-steps.ts';

let h: ApprovalHarness;

beforeAll(async () => {
  h = await startApprovalHarness({ approvals: { elevation: { approversRequired: 2 }, consent: { approversRequired: 2 } } });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('two approvers required', { timeout: 60_000 }, () => {
  it('records the first elevation approval (no API token asked for), refuses a second by the same person, and runs on the second person’s sign-in', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const exchanges = h.exchangeCount();
    const first = await approveElevation(admin, h, raised.id, 'admin', 'first of two');
    expect(new URL(first.authorizeUrl).searchParams.get('scope')).not.toContain('user_impersonation');
    expect(first.callback.location).toContain('done=recorded');
    expect(first.page?.body).toContain('1 of 2 required');
    expect(first.page?.body).toMatch(/data-testid="notice"[^>]*>Your approval is recorded\./);
    // The page no longer offers this approver the form, and says why.
    expect(first.page?.body).not.toContain('data-testid="approve-form"');
    expect(first.page?.body).toContain('data-testid="approve-blocked" data-code="already_approved"');
    expect(h.exchangeCount()).toBe(exchanges);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');

    const again = await postDecision(admin, h, raised.id, 'approve', 'me again');
    expect(again.status).toBe(409);
    expect(again.body).toContain('data-code="already_approved"');

    const admin2 = await h.signedIn('admin2');
    // The same link tells someone who has not approved nothing about an approval of theirs.
    expect((await admin2.get(first.callback.location!)).body).not.toContain('data-testid="notice"');
    const second = await approveElevation(admin2, h, raised.id, 'admin2', 'second of two');
    expect(new URL(second.authorizeUrl).searchParams.get('scope')).toContain('user_impersonation');
    expect(second.callback.location).toContain('done=executed');
    const final = await h.agentGet(h.readerAgent, raised.id);
    expect(final).toMatchObject({ state: 'succeeded', actingIdentity: h.user('admin2').oid });
    expect(h.exchangeCount()).toBe(exchanges + 1);
    expect(await h.executions(raised.id)).toBe(1);
    const decided = (await h.audit.list({ requestId: raised.id, eventType: 'approval.decided' })).entries[0];
    expect((decided?.details.approvers as string[]).sort()).toEqual([h.user('admin').oid, h.user('admin2').oid].sort());
    const recorded = (await h.audit.list({ requestId: raised.id, eventType: 'approval.recorded' })).entries;
    expect(recorded.map((e) => e.approverId)).toEqual([h.user('admin').oid]);
  });

  it('asks for one more sign-in when others approved while this approver was signing in (their approval became the last)', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const admin2 = await h.signedIn('admin2');
    const slow = await approveUntilCallback(admin, h, raised.id, 'admin');
    expect(new URL(slow.authorizeUrl).searchParams.get('scope')).not.toContain('user_impersonation');
    expect((await approveElevation(admin2, h, raised.id, 'admin2')).callback.location).toContain('done=recorded');

    const back = await admin.get(slow.callbackUrl);
    expect(back.status).toBe(303);
    const more = new URL(back.location!);
    expect(more.pathname).toMatch(/\/oauth2\/v2\.0\/authorize$/);
    expect(more.searchParams.get('scope')).toContain('user_impersonation');
    const done = await admin.get(await pickAccount(admin, more.href, h.user('admin').oid));
    expect(done.location).toContain('done=executed');
    expect((await h.agentGet(h.readerAgent, raised.id))).toMatchObject({ state: 'succeeded', actingIdentity: h.user('admin').oid });
  });

  it('runs a consent on the second distinct approval only', async () => {
    const raised = await h.submit(h.privilegedAgent, restartPayments(h));
    const admin = await h.signedIn('admin');
    const one = await postDecision(admin, h, raised.id, 'approve', 'one');
    expect(one.location).toContain('done=recorded');
    expect((await h.agentGet(h.privilegedAgent, raised.id)).state).toBe('pending_consent');
    expect(await h.executions(raised.id)).toBe(0);
    expect((await requestPage(admin, h, raised.id)).body).toContain('1 of 2 required');
    const admin2 = await h.signedIn('admin2');
    const two = await postDecision(admin2, h, raised.id, 'approve', 'two');
    expect(two.location).toContain('done=executed');
    expect((await h.agentGet(h.privilegedAgent, raised.id)).state).toBe('succeeded');
    expect(await h.executions(raised.id)).toBe(1);
  });

  it('lets one denial end a request that already has an approval', async () => {
    const raised = await h.submit(h.privilegedAgent, restartPayments(h));
    const admin = await h.signedIn('admin');
    await postDecision(admin, h, raised.id, 'approve', 'one');
    const admin2 = await h.signedIn('admin2');
    expect((await postDecision(admin2, h, raised.id, 'deny', 'not this one')).location).toContain('done=denied');
    expect(await h.agentGet(h.privilegedAgent, raised.id)).toMatchObject({ state: 'denied', stateReason: 'not this one' });
  });
});
