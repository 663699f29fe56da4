/**
 * Attacks on the approval flow, against the real web app and a private sandbox (so ARM counts
 * are exact): a replayed sign-in callback, decisions on expired or decided requests, parallel
 * approvals, posts without CSRF tokens, a session cookie from before sign-in, and fresh-sign-in
 * callbacks that are stale, from another account or from a non-administrator. Each must be
 * refused and leave exactly the executions it should (usually none).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { pickAccount, startSignIn } from '../signin/support/sign-in-steps.ts';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { afterCallback, approveElevation, approveUntilCallback, csrfOf, postDecision, requestPage, restartCheckout, restartPayments } from '../approvals/support/approval-steps.ts';

let h: ApprovalHarness;

beforeAll(async () => {
  h = await startApprovalHarness();
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const armActions = (...keys: string[]) => keys.reduce((n, k) => n + (h.sandbox.stats().arm.byPrincipal[h.user(k).oid]?.['resources.action'] ?? 0), 0);

describe('approval attacks', { timeout: 90_000 }, () => {
  it('refuses a replayed fresh-sign-in callback (same state and code): one exchange, one execution', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const exchanges = h.exchangeCount();
    const { callbackUrl } = await approveUntilCallback(admin, h, raised.id, 'admin');
    const first = await admin.get(callbackUrl);
    expect(first.location).toContain('done=executed');
    const replay = await afterCallback(admin, await admin.get(callbackUrl));
    expect(replay.status).toBe(400);
    // The same URL from another browser (a stolen callback) finds no flow either.
    const thief = new BrowserLikeClient();
    expect((await afterCallback(thief, await thief.get(callbackUrl))).status).toBe(400);
    expect(h.exchangeCount()).toBe(exchanges + 1);
    expect(await h.executions(raised.id)).toBe(1);
    const correlationId = (await h.agentGet(h.readerAgent, raised.id)).arm?.correlationId;
    expect(h.sandbox.activityLog().filter((e) => e.correlationId === correlationId && e.callerObjectId === h.user('admin').oid)).toHaveLength(1);
  });

  it('refuses approving an expired request, consent or elevation, and says so', async () => {
    for (const [agent, body, state] of [
      [h.readerAgent, restartCheckout(h), 'pending_elevation'],
      [h.privilegedAgent, restartPayments(h), 'pending_consent'],
    ] as const) {
      const raised = await h.submit(agent, body);
      expect(raised.state).toBe(state);
      await h.db.run('UPDATE operation_requests SET expires_at = ? WHERE id = ?', [new Date(Date.now() - 1000).toISOString(), raised.id]);
      const admin = await h.signedIn('admin');
      const res = await postDecision(admin, h, raised.id, 'approve', 'late');
      expect(res.status).toBe(409);
      expect(res.body).toContain('data-code="not_pending"');
      expect(res.body).toContain('data-state="expired"');
      expect((await h.agentGet(agent, raised.id)).state).toBe('expired');
      expect(await h.executions(raised.id)).toBe(0);
    }
  });

  it('refuses an elevation callback for a request denied while the approver was signing in: nothing is exchanged', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const admin2 = await h.signedIn('admin2');
    const { callbackUrl } = await approveUntilCallback(admin, h, raised.id, 'admin');
    expect((await postDecision(admin2, h, raised.id, 'deny', 'no')).status).toBe(303);
    const exchanges = h.exchangeCount();
    const late = await afterCallback(admin, await admin.get(callbackUrl));
    expect(late.status).toBe(409);
    expect(late.body).toContain('data-code="not_pending"');
    expect(h.exchangeCount()).toBe(exchanges);
    expect(await h.executions(raised.id)).toBe(0);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('denied');
  });

  it('runs a consent exactly once when two administrators approve it at the same moment', async () => {
    const raised = await h.submit(h.privilegedAgent, restartPayments(h));
    const [a, b] = await Promise.all([h.signedIn('admin'), h.signedIn('admin2')]);
    const [ta, tb] = [csrfOf((await requestPage(a, h, raised.id)).body), csrfOf((await requestPage(b, h, raised.id)).body)];
    const before = h.sandbox.stats().arm.byPrincipal[h.privilegedAgent.uamiPrincipalId]?.['resources.action'] ?? 0;
    const answers = await Promise.all([postDecision(a, h, raised.id, 'approve', 'a', ta), postDecision(b, h, raised.id, 'approve', 'b', tb)]);
    expect(answers.map((r) => r.status).sort()).toEqual([303, 409]);
    expect(await h.executions(raised.id)).toBe(1);
    expect(h.sandbox.stats().arm.byPrincipal[h.privilegedAgent.uamiPrincipalId]?.['resources.action']).toBe(before + 1);
    expect((await h.agentGet(h.privilegedAgent, raised.id)).state).toBe('succeeded');
  });

  it('runs an elevation exactly once when two administrators’ fresh sign-ins come back at the same moment', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const [a, b] = await Promise.all([h.signedIn('admin'), h.signedIn('admin2')]);
    const ca = await approveUntilCallback(a, h, raised.id, 'admin');
    const cb = await approveUntilCallback(b, h, raised.id, 'admin2');
    const before = armActions('admin', 'admin2');
    const answers = await Promise.all([a.get(ca.callbackUrl).then((r) => afterCallback(a, r)), b.get(cb.callbackUrl).then((r) => afterCallback(b, r))]);
    const statuses = answers.map((r) => (r.status === 303 && r.location?.includes('done=executed') ? 'executed' : String(r.status))).sort();
    expect(statuses).toEqual(['409', 'executed']);
    expect(await h.executions(raised.id)).toBe(1);
    expect(armActions('admin', 'admin2')).toBe(before + 1);
  });

  it('two concurrent Approve posts on one session: one proceeds, the other is refused clearly (409), and it runs once (issue 11.7)', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const token = csrfOf((await requestPage(admin, h, raised.id)).body);
    const posts = await Promise.all([postDecision(admin, h, raised.id, 'approve', 'tab 1', token), postDecision(admin, h, raised.id, 'approve', 'tab 2', token)]);
    const started = posts.filter((p) => p.status === 303 && p.location?.includes('/oauth2/v2.0/authorize'));
    const refusedPosts = posts.filter((p) => p.status === 409);
    // Never both silently "started" with one of them lost in the session: one starts, one is told why not.
    expect(started).toHaveLength(1);
    expect(refusedPosts).toHaveLength(1);
    expect(refusedPosts[0]!.body).toContain('already being started');
    const refusals = (await h.audit.list({ requestId: raised.id, eventType: 'approval.refused' }, { limit: 10 })).entries;
    expect(refusals.map((e) => e.details.code)).toEqual(['approval_in_progress']);
    const callback = await admin.get(await pickAccount(admin, started[0]!.location!, h.user('admin').oid));
    expect(callback.status).toBe(303);
    expect(callback.location).toContain('done=executed');
    expect(await h.executions(raised.id)).toBe(1);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('succeeded');
  });

  it('the same administrator approving again from a second tab afterwards replaces the first attempt; it runs once', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const token = csrfOf((await requestPage(admin, h, raised.id)).body);
    const s1 = await postDecision(admin, h, raised.id, 'approve', 'tab 1', token);
    const s2 = await postDecision(admin, h, raised.id, 'approve', 'tab 2', token);
    expect([s1.status, s2.status]).toEqual([303, 303]);
    const cb1 = await pickAccount(admin, s1.location!, h.user('admin').oid);
    const cb2 = await pickAccount(admin, s2.location!, h.user('admin').oid);
    const first = await afterCallback(admin, await admin.get(cb1));
    const second = await afterCallback(admin, await admin.get(cb2));
    // the later attempt replaced the first in the session: one callback runs, the other is refused
    const outcomes = [first, second].map((r) => (r.status === 303 && r.location?.includes('done=executed') ? 'executed' : r.status === 400 || r.status === 409 ? 'refused' : String(r.status)));
    expect(outcomes.sort()).toEqual(['executed', 'refused']);
    expect(await h.executions(raised.id)).toBe(1);
  });

  it('refuses decisions posted without the CSRF token, with a wrong one, or with another session’s', async () => {
    const raised = await h.submit(h.privilegedAgent, restartPayments(h));
    const admin = await h.signedIn('admin');
    const other = await h.signedIn('admin2');
    const othersToken = csrfOf((await requestPage(other, h, raised.id)).body);
    for (const action of ['approve', 'deny'] as const) {
      expect((await admin.post(`${h.url}/approvals/${raised.id}/${action}`, { reason: 'no token' })).status).toBe(403);
      expect((await admin.post(`${h.url}/approvals/${raised.id}/${action}`, { _csrf: 'x'.repeat(43), reason: 'forged' })).status).toBe(403);
      expect((await admin.post(`${h.url}/approvals/${raised.id}/${action}`, { _csrf: othersToken, reason: 'cross' })).status).toBe(403);
    }
    expect((await h.agentGet(h.privilegedAgent, raised.id)).state).toBe('pending_consent');
    expect(await h.executions(raised.id)).toBe(0);
  });

  it('gives no power to a session cookie obtained before sign-in (the session id changes at sign-in)', async () => {
    const raised = await h.submit(h.privilegedAgent, restartPayments(h));
    const victim = new BrowserLikeClient();
    const authorizeUrl = await startSignIn(victim, `${h.url}/auth/signin`);
    const host = new URL(h.url).hostname;
    const planted = victim.cookie(host, 'elevate.sid');
    expect(planted).toBeDefined();
    expect((await victim.get(await pickAccount(victim, authorizeUrl, h.user('admin').oid))).status).toBe(303);
    expect(victim.cookie(host, 'elevate.sid')).not.toBe(planted);
    const victimToken = csrfOf((await requestPage(victim, h, raised.id)).body);

    const attacker = new BrowserLikeClient();
    attacker.setCookie(host, 'elevate.sid', planted!);
    const page = await attacker.get(`${h.url}/approvals/${raised.id}`);
    expect(page.status).toBe(303);
    expect(page.location).toContain('/auth/signin');
    const post = await attacker.post(`${h.url}/approvals/${raised.id}/approve`, { _csrf: victimToken, reason: 'fixated' });
    expect([401, 403]).toContain(post.status);
    expect((await h.agentGet(h.privilegedAgent, raised.id)).state).toBe('pending_consent');
    expect(await h.executions(raised.id)).toBe(0);
  });

  it('refuses a fresh-sign-in callback whose auth_time is older than ELEVATE_FRESH_AUTH_SECONDS, although the role is right', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const exchanges = h.exchangeCount();
    const { callbackUrl } = await approveUntilCallback(admin, h, raised.id, 'admin');
    // The approval flow's clock runs ahead: the same sign-in is now too old.
    h.skewApprovalClock(10 * 60);
    try {
      const res = await afterCallback(admin, await admin.get(callbackUrl));
      expect(res.status).toBe(403);
      expect(res.body).toContain('data-code="stale_sign_in"');
    } finally {
      h.skewApprovalClock(0);
    }
    expect(h.exchangeCount()).toBe(exchanges);
    expect(await h.executions(raised.id)).toBe(0);
    const refusal = (await h.audit.list({ requestId: raised.id, eventType: 'approval.refused' })).entries[0];
    expect(refusal).toMatchObject({ approverId: h.user('admin').oid, details: { code: 'stale_sign_in' } });
    // The attempt was used up by that callback: approving needs a new start.
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
  });

  it('refuses a fresh sign-in as another account, or as a Standard User, at the Approve prompt', async () => {
    for (const [key, code] of [
      ['admin2', 'different_account'],
      ['standard', 'not_administrator'],
    ] as const) {
      const raised = await h.submit(h.readerAgent, restartCheckout(h));
      const admin = await h.signedIn('admin');
      const exchanges = h.exchangeCount();
      const { callbackUrl } = await approveUntilCallback(admin, h, raised.id, key);
      const callback = await admin.get(callbackUrl);
      const res = await afterCallback(admin, callback);
      expect(res.status).toBe(403);
      expect(res.body).toContain(`data-code="${code}"`);
      expect(h.exchangeCount()).toBe(exchanges);
      expect(await h.executions(raised.id)).toBe(0);
      // The browser is now signed in as the other account: the page says so, the header shows
      // that account, and a link signs in again as the one who pressed Approve, back to here.
      const landed = new URL(callback.location!);
      expect(landed.pathname).toBe(`/approvals/${raised.id}`);
      expect(res.body).toContain(`data-testid="switched-to">${h.user(key).upn}<`);
      expect(res.body).toContain(`data-testid="switched-from">${h.user('admin').upn}<`);
      const header = /data-testid="user-slot">([^]*?)<\/div>/.exec(res.body)![1]!;
      expect(header).toContain(h.user(key).displayName);
      expect(header).not.toContain(h.user('admin').displayName);
      expect(res.body).toContain(`href="/auth/signin?account=choose&amp;returnTo=${encodeURIComponent(`/approvals/${raised.id}`)}"`);
      // A reload shows the same answer, not a replayed callback's "unknown sign-in".
      const reload = await admin.get(landed.href);
      expect(reload.status).toBe(403);
      expect(reload.body).toContain(`data-code="${code}"`);
      expect(reload.body).toContain('data-testid="account-switch"');
      // The answer is this browser's only: another session sees the plain request page.
      const other = await h.signedIn('admin2');
      const plain = await other.get(landed.href);
      expect(plain.status).toBe(200);
      expect(plain.body).not.toContain(`data-code="${code}"`);
    }
  });

  it('refuses a fresh sign-in with the personal-account administrator at the Approve prompt', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const { callbackUrl } = await approveUntilCallback(admin, h, raised.id, 'personal');
    const res = await afterCallback(admin, await admin.get(callbackUrl));
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/personal Microsoft account/i);
    // The refused account did not take over: still signed in as the administrator, with a way back.
    expect(res.body).toContain(`data-testid="still-signed-in">You are still signed in to Elevate as <strong>${h.user('admin').upn}</strong>`);
    expect(res.body).toContain(`href="/approvals/${raised.id}" data-testid="back-to"`);
    expect(await h.executions(raised.id)).toBe(0);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
  });

  it('is not fooled by a full elevation whose approve step is skipped (callback with no attempt)', async () => {
    // A bound sign-in started without pressing Approve cannot exist through the pages; the
    // nearest thing is Approve on one request and a callback for another: refused, no exchange.
    const one = await h.submit(h.readerAgent, restartCheckout(h));
    const two = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const { callbackUrl } = await approveUntilCallback(admin, h, one.id, 'admin');
    await h.db.run("UPDATE elevation_attempts SET consumed_at = '2000-01-01T00:00:00.000Z' WHERE request_id = ?", [one.id]);
    const exchanges = h.exchangeCount();
    const res = await afterCallback(admin, await admin.get(callbackUrl));
    expect(res.status).toBe(409);
    expect(res.body).toContain('data-code="no_attempt"');
    expect(h.exchangeCount()).toBe(exchanges);
    expect(await h.executions(one.id)).toBe(0);
    expect(await h.executions(two.id)).toBe(0);
    const second = await approveElevation(admin, h, one.id, 'admin');
    expect(second.callback.location).toContain('done=executed');
  });
});
