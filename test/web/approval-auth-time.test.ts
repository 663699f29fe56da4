/**
 * auth_time is an optional claim in Entra ID, off by default. An elevation goes through
 * openid-client and the approval pages against two private sandboxes, one as Entra ships (no
 * auth_time in ID tokens) and one whose app registration has the optional claim: it succeeds in
 * both, and the audit says what proved the fresh sign-in. The fresh-sign-in refusals hold in both.
 * https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { afterCallback, approveElevation, approveUntilCallback, restartCheckout } from '../approvals/support/approval-steps.ts';

const cases = [
  { name: 'without the auth_time optional claim (Entra default)', claims: [] as string[], freshness: 'prompt_login' },
  { name: 'with the auth_time optional claim configured', claims: ['auth_time'], freshness: 'auth_time' },
];

describe.each(cases)('elevation $name', { timeout: 60_000 }, ({ claims, freshness }) => {
  let h: ApprovalHarness;
  beforeAll(async () => {
    h = await startApprovalHarness({ idTokenOptionalClaims: claims, freshAuthSeconds: 120 });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('runs once after the fresh sign-in, and the audit records what proved freshness', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const { callback, authorizeUrl } = await approveElevation(admin, h, raised.id, 'admin', 'restart approved');
    const authorize = new URL(authorizeUrl);
    expect(authorize.searchParams.get('prompt')).toBe('login');
    expect(authorize.searchParams.get('max_age')).toBeNull();
    expect(authorize.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(callback.status, callback.body.slice(0, 300)).toBe(303);
    expect(callback.location).toBe(`${h.url}/approvals/${raised.id}?done=executed`);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('succeeded');
    expect(await h.executions(raised.id)).toBe(1);

    const decided = (await h.audit.list({ requestId: raised.id, eventType: 'approval.decided' }, { limit: 10 })).entries[0]!;
    expect(decided.details.freshness).toBe(freshness);
    if (freshness === 'auth_time') expect(Date.parse(String(decided.details.authTime))).toBeGreaterThan(Date.now() - 120_000);
    else expect(decided.details.authTime).toBeNull();
  });

  it('refuses a callback delivered after the fresh window, and runs nothing', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const { callbackUrl } = await approveUntilCallback(admin, h, raised.id, 'admin');
    h.skewApprovalClock(121);
    let res;
    try {
      res = await afterCallback(admin, await admin.get(callbackUrl));
    } finally {
      h.skewApprovalClock(0);
    }
    expect(res.status).toBe(403);
    expect(res.body).toContain('data-code="stale_sign_in"');
    expect(await h.executions(raised.id)).toBe(0);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
  });
});
