/**
 * Elevation approvals end to end in the real web app against a private sandbox: the agent raises
 * a request it lacks the permission for, an administrator approves, signs in afresh, and the
 * operation runs once with their own Azure permissions through the on-behalf-of exchange; the
 * token is discarded and that is on record. Also: the approver's own permissions still apply,
 * Entra's claims challenges and consent errors, and two approvers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import { OboExchangeError } from '../../src/azure/obo-error.ts';
import { decodeClaims } from '../support/token-forge.ts';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { approveElevation, approveUntilCallback, csrfOf, postDecision, requestPage, restartCheckout } from '../approvals/support/approval-steps.ts';

let h: ApprovalHarness;

beforeAll(async () => {
  h = await startApprovalHarness();
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const historyOf = async (id: string): Promise<AuditEntry[]> => [...(await h.audit.list({ requestId: id }, { limit: 500 })).entries].reverse();

describe('elevation approval', { timeout: 60_000 }, () => {
  it('runs the exact operation once with the approver’s permissions after a fresh sign-in, and records the discarded token', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    expect(raised.state).toBe('pending_elevation');
    const admin = await h.signedIn('admin');

    const list = await admin.get(`${h.url}/approvals`);
    expect(list.status).toBe(200);
    expect(list.body).toContain(`data-request-id="${raised.id}"`);
    const page = await requestPage(admin, h, raised.id);
    expect(page.body).toContain('data-testid="approve-form"');
    expect(page.body).toContain(raised.operation.path);
    expect(page.body).toMatch(/microsoft\.app\/containerapps\/revisions\/restart\/action/i);
    expect(page.body).toContain('Container Apps Contributor');

    const armBefore = h.sandbox.stats().arm.byPrincipal[h.user('admin').oid]?.['resources.action'] ?? 0;
    const { callback, page: after, authorizeUrl } = await approveElevation(admin, h, raised.id, 'admin', 'INC-1042: restart approved');
    const authorize = new URL(authorizeUrl);
    expect(authorize.searchParams.get('prompt')).toBe('login');
    // no max_age: the sandbox, like a new Entra app registration, sends no auth_time
    expect(authorize.searchParams.get('max_age')).toBeNull();
    expect(authorize.searchParams.get('scope')).toContain('user_impersonation');
    expect(callback.status, callback.body.slice(0, 500)).toBe(303);
    expect(callback.location).toBe(`${h.url}/approvals/${raised.id}?done=executed`);
    expect(after?.body).toContain('data-state="succeeded"');

    const final = await h.agentGet(h.readerAgent, raised.id);
    expect(final.state).toBe('succeeded');
    expect(final.actingIdentity).toBe(h.user('admin').oid);
    expect(final.arm?.status).toBe(200);
    expect(await h.executions(raised.id)).toBe(1);
    expect(h.sandbox.stats().arm.byPrincipal[h.user('admin').oid]?.['resources.action']).toBe(armBefore + 1);
    // ARM's own record: the caller was the approver, with Elevate's correlation id.
    const events = h.sandbox.activityLog().filter((e) => e.correlationId === final.arm?.correlationId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ callerObjectId: h.user('admin').oid, status: 'Succeeded', httpMethod: 'POST' });

    const history = await historyOf(raised.id);
    const types = history.map((e) => e.eventType);
    const decided = types.indexOf('approval.decided');
    const approved = history.findIndex((e) => e.eventType === 'operation.transition' && e.outcome === 'approved');
    const armRequest = types.indexOf('arm.request');
    const discarded = types.indexOf('token.discarded');
    expect(decided).toBeGreaterThan(types.indexOf('approval.sign-in.started'));
    expect(approved).toBeGreaterThan(decided);
    expect(armRequest).toBeGreaterThan(approved);
    expect(discarded).toBeGreaterThan(armRequest);
    const d = history[discarded]!;
    expect(d.approverId).toBe(h.user('admin').oid);
    expect(d.details).toMatchObject({
      approver: { oid: h.user('admin').oid, upn: h.user('admin').upn, tid: h.sandbox.tenant.tenantId },
      armCorrelationId: final.arm?.correlationId,
      armStatus: 200,
      requestState: 'succeeded',
      used: true,
    });
    expect(d.details.tokenUtiSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(String(d.details.tokenExpiresAt))).toBeGreaterThan(Date.now());
    expect(Date.parse(String(d.details.discardedAt))).toBeLessThanOrEqual(Date.parse(d.ts));
    expect(history[decided]!.details).toMatchObject({ reason: 'INC-1042: restart approved', kind: 'elevation', authTime: null, freshness: 'prompt_login' });
    expect(JSON.stringify(history)).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });

  it('shows the approval in the request’s history on the page, and the agent sees the final state', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin2 = await h.signedIn('admin2');
    await approveElevation(admin2, h, raised.id, 'admin2', 'approved by grace');
    const page = await requestPage(admin2, h, raised.id);
    expect(page.body).toContain('data-event="approval.decided"');
    expect(page.body).toContain('data-event="token.discarded"');
    expect(page.body).toContain('approved by grace');
    expect(page.body).not.toContain('data-testid="approve-form"');
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('succeeded');
  });

  it('refuses the person the agent names as the requester (elevation default), whatever the case', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h, { trigger: { kind: 'incident', requestedBy: h.user('admin').upn.toUpperCase() } }));
    const admin = await h.signedIn('admin');
    // Said before anything is typed: no Approve form for the requester, the reason instead; Deny stays.
    const page = await requestPage(admin, h, raised.id);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('data-testid="approve-form"');
    expect(page.body).toMatch(/data-testid="approve-blocked" data-code="requester_may_not_approve">You cannot approve this request: the request names you/);
    expect(page.body).toContain('data-testid="deny-form"');
    // Another administrator is offered the form.
    expect((await requestPage(await h.signedIn('admin2'), h, raised.id)).body).toContain('data-testid="approve-form"');
    const before = h.exchangeCount();
    const res = await postDecision(admin, h, raised.id, 'approve', 'I asked for it', csrfOf(page.body));
    expect(res.status).toBe(403);
    expect(res.body).toContain('data-code="requester_may_not_approve"');
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
    expect(h.exchangeCount()).toBe(before);
    const refused = (await historyOf(raised.id)).find((e) => e.eventType === 'approval.refused');
    expect(refused).toMatchObject({ approverId: h.user('admin').oid, details: { code: 'requester_may_not_approve' } });
    // Another administrator may.
    const admin2 = await h.signedIn('admin2');
    await approveElevation(admin2, h, raised.id, 'admin2');
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('succeeded');
  });

  it('follows a long-running operation (VM restart) with the one-time token, then discards it', async () => {
    const vm = h.sandbox.tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === 'vm-sre-worker-01')!;
    const raised = await h.submit(h.readerAgent, { ...restartCheckout(h), path: `${vm.id}/restart`, apiVersion: '2024-07-01' });
    expect(raised.state).toBe('pending_elevation');
    const admin = await h.signedIn('admin');
    const { callback, page } = await approveElevation(admin, h, raised.id, 'admin', 'reboot the worker');
    expect(callback.location).toContain('done=executed');
    const final = await h.agentGet(h.readerAgent, raised.id);
    expect(final).toMatchObject({ state: 'succeeded', arm: { asyncStatus: 'succeeded' } });
    expect(page?.body).toContain('data-state="succeeded"');
    const discarded = (await historyOf(raised.id)).find((e) => e.eventType === 'token.discarded');
    expect(discarded?.details).toMatchObject({ requestState: 'succeeded', used: true });
  });

  it('ends the request failed with ARM’s message when the approver’s own Azure permissions do not cover it', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin3 = await h.signedIn('admin3');
    const { callback, page } = await approveElevation(admin3, h, raised.id, 'admin3', 'try with mine');
    expect(callback.status).toBe(303);
    expect(page?.body).toContain('data-state="failed"');
    expect(page?.body).toContain('data-code="AuthorizationFailed"');
    const final = await h.agentGet(h.readerAgent, raised.id);
    expect(final.state).toBe('failed');
    expect(final.error?.code).toBe('AuthorizationFailed');
    expect(final.error?.message).toContain(h.user('admin3').oid);
    expect(page?.body).toContain(final.error!.message.slice(0, 60).replace(/'/g, '&#39;'));
    expect(await h.executions(raised.id)).toBe(1);
    const discarded = (await historyOf(raised.id)).find((e) => e.eventType === 'token.discarded');
    expect(discarded?.details).toMatchObject({ armStatus: 403, requestState: 'failed', used: true });
  });

  it('sends the approver back through sign-in with the claims challenge when Entra answers interaction_required, then runs', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const challenge = JSON.stringify({ access_token: { capolids: { essential: true, values: ['c1f2'] } } });
    let calls = 0;
    h.replaceExchange(async (real, assertion) => {
      calls += 1;
      if (calls === 1) throw new OboExchangeError('interaction_required', '50076', challenge);
      return real(assertion);
    });
    try {
      const { callbackUrl } = await approveUntilCallback(admin, h, raised.id, 'admin');
      const first = await admin.get(callbackUrl);
      expect(first.status).toBe(303);
      const again = new URL(first.location!);
      expect(again.pathname).toMatch(/\/oauth2\/v2\.0\/authorize$/);
      expect(again.searchParams.get('claims')).toBe(challenge);
      expect(again.searchParams.get('prompt')).toBe('login');
      expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
      const { pickAccount } = await import('../signin/support/sign-in-steps.ts');
      const second = await admin.get(await pickAccount(admin, again.href, h.user('admin').oid));
      expect(second.status, second.body.slice(0, 300)).toBe(303);
      expect(second.location).toContain('done=executed');
      expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('succeeded');
      const failed = (await historyOf(raised.id)).find((e) => e.eventType === 'approval.obo.failed');
      expect(failed?.details).toMatchObject({ code: 'interaction_required', aadsts: '50076', claimsChallenge: true });
    } finally {
      h.replaceExchange(undefined);
    }
  });

  it('shows what the tenant administrator must do when consent is missing (AADSTS65001); nothing runs, the request stays pending', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    h.replaceExchange(async () => {
      throw new OboExchangeError('consent_required', '65001', undefined);
    });
    try {
      const { callback, page } = await approveElevation(admin, h, raised.id, 'admin');
      // Shown at the request page (a stable address), not at the spent callback URL.
      expect(callback.status).toBe(303);
      expect(new URL(callback.location!).pathname).toBe(`/approvals/${raised.id}`);
      expect(page!.status).toBe(403);
      expect(page!.body).toContain('data-testid="obo-problem"');
      expect(page!.body).toContain('data-code="consent_required"');
      expect(page!.body).toContain('AADSTS65001');
      expect(page!.body).toMatch(/Grant admin consent/);
      expect(page!.body).toContain(`/adminconsent?client_id=${h.endpoints.clientId}`);
      expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
      expect(await h.executions(raised.id)).toBe(0);
    } finally {
      h.replaceExchange(undefined);
    }
  });

  it('does not exchange or run anything when the approval cannot be audited first', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const before = h.exchangeCount();
    h.failAuditWhen((e) => e.eventType === 'approval.obo.started');
    try {
      const { callback, page } = await approveElevation(admin, h, raised.id, 'admin');
      expect(callback.status).toBe(303);
      expect(page!.status).toBe(503);
      expect(h.exchangeCount()).toBe(before);
      expect(await h.executions(raised.id)).toBe(0);
      expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
    } finally {
      h.failAuditWhen(undefined);
    }
  });

  it('keeps the ARM token out of reach: the token that ran was an OBO token for the approver, for ARM', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const seen: Array<Record<string, unknown>> = [];
    h.replaceExchange(async (real, assertion) => {
      seen.push(decodeClaims(assertion));
      return real(assertion);
    });
    try {
      await approveElevation(admin, h, raised.id, 'admin');
    } finally {
      h.replaceExchange(undefined);
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ oid: h.user('admin').oid, aud: expect.stringContaining(h.endpoints.clientId) });
    expect(String(seen[0]!.scp)).toContain('user_impersonation');
  });
});
