/**
 * When Elevate cannot see that an administrator by group is one, it refuses, says why, and
 * approves nothing, in the browser and on the administrator API (the CLI's path):
 * - Elevate's registration as Entra creates it (groupMembershipClaims null): no token carries a
 *   group claim, so group-only administrators have no role, and are told the claim is missing;
 * - a person in more than 200 groups (Entra's overage indicator instead of the list) while
 *   Microsoft Graph cannot answer for Elevate (its GroupMember.Read.All permission was never
 *   consented): refused as `groups-unresolved`, not as a person without a role.
 * The approvals that work are in group-mapped-administrator.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import type { ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { postDecision, restartCheckout, restartPayments } from '../approvals/support/approval-steps.ts';
import { startGroupAdministratorHarness } from '../approvals/support/group-administrators.ts';
import { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { refusalPage, signInAs } from '../signin/support/sign-in-steps.ts';
import { deviceCodeToken } from '../support/device-code-token.ts';

async function api(h: ApprovalHarness, method: 'GET' | 'POST', path: string, token: string, body?: unknown) {
  const res = await fetch(`${h.url}/api/v1/requests${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
}

async function refusedSignIn(h: ApprovalHarness, key: string) {
  const browser = new BrowserLikeClient();
  const page = await refusalPage(browser, await signInAs(browser, h.url, h.user(key).oid));
  expect(page.status).toBe(403);
  return { browser, page };
}

/** The refused browser holds no session: its Approve is refused and the elevation stays pending. */
async function nothingApprovedInBrowser(h: ApprovalHarness, browser: BrowserLikeClient) {
  const raised = await h.submit(h.readerAgent, restartCheckout(h));
  expect((await postDecision(browser, h, raised.id, 'approve', 'ok', 'no-session')).status).toBe(401);
  expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
  expect(await h.executions(raised.id)).toBe(0);
}

const latest = async (h: ApprovalHarness, eventType: string, oid: string): Promise<AuditEntry | undefined> =>
  (await h.audit.list({ eventType }, { limit: 100 })).entries.find((e) => e.actor.id === oid);

/** A pending elevation and a pending consent, refused to `token` on every deciding route, still pending and never run. */
async function nothingApprovedThroughApi(h: ApprovalHarness, token: string, code: string) {
  const elevation = await h.submit(h.readerAgent, restartCheckout(h));
  const consent = await h.submit(h.privilegedAgent, restartPayments(h));
  for (const [path, body] of [
    [`/${consent.id}/approve`, { reason: 'ok' }],
    [`/${elevation.id}/approve`, { reason: 'ok' }],
    [`/${elevation.id}/deny`, { reason: 'no' }],
  ] as const) {
    const res = await api(h, 'POST', path, token, body);
    expect(res.status, path).toBe(403);
    expect(res.body.error?.code, path).toBe(code);
  }
  expect((await h.agentGet(h.readerAgent, elevation.id)).state).toBe('pending_elevation');
  expect((await h.agentGet(h.privilegedAgent, consent.id)).state).toBe('pending_consent');
  expect(await h.executions(elevation.id)).toBe(0);
  expect(await h.executions(consent.id)).toBe(0);
}

describe("Elevate's registration as Entra creates it: no group claims (groupMembershipClaims null)", { timeout: 90_000 }, () => {
  let h: ApprovalHarness;
  beforeAll(async () => {
    h = await startGroupAdministratorHarness({ groupMembershipClaims: null, graphGroupMemberRead: true });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('refuses the group-only administrator at browser sign-in, saying the token carried no group claim', async () => {
    const { browser, page } = await refusedSignIn(h, 'gina');
    expect(page.body).toContain('data-reason="no-role"');
    expect(page.body).toContain('carried no group claim');
    expect(page.body).toContain('Add groups claim');
    const audited = await latest(h, 'signin.refused', h.user('gina').oid);
    expect(audited?.details).toMatchObject({ reason: 'no-role', groupsSource: 'absent' });
    await nothingApprovedInBrowser(h, browser);
  });

  it('refuses their CLI token on the administrator API with the same reason, audited, and nothing is approved', async () => {
    const token = await deviceCodeToken(h.sandbox, 'gina');
    const list = await api(h, 'GET', '', token);
    expect(list.status).toBe(403);
    expect(list.body.error).toMatchObject({ code: 'no-role' });
    expect(list.body.error?.message).toContain('carried no group claim');
    await nothingApprovedThroughApi(h, token, 'no-role');
    const audited = await latest(h, 'api.auth.refused', h.user('gina').oid);
    expect(audited?.details).toMatchObject({ reason: 'no-role' });
    expect(String(audited?.details.message)).toContain('carried no group claim');
  });
});

describe('more than 200 groups, and Microsoft Graph cannot answer for Elevate (no GroupMember.Read.All)', { timeout: 90_000 }, () => {
  let h: ApprovalHarness;
  beforeAll(async () => {
    h = await startGroupAdministratorHarness({ groupMembershipClaims: 'SecurityGroup', graphGroupMemberRead: false });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('refuses the browser sign-in as groups-unresolved, saying why, not as a person without a role', async () => {
    const { browser, page } = await refusedSignIn(h, 'otto');
    expect(page.body).toContain('data-reason="groups-unresolved"');
    expect(page.body).toContain('more than 200 groups');
    expect(page.body).toContain('403 Authorization_RequestDenied');
    expect(page.body).toContain('GroupMember.Read.All');
    // Graph may answer next time: the page offers the same sign-in again, not another account
    expect(page.body).toContain('Start the sign-in again');
    const audited = await latest(h, 'signin.refused', h.user('otto').oid);
    expect(audited?.details).toMatchObject({ reason: 'groups-unresolved', groupsSource: 'unreadable' });
    expect(h.logs.join('\n')).toContain('Microsoft Graph could not say which mapped groups');
    await nothingApprovedInBrowser(h, browser);
  });

  it('refuses their CLI token on the administrator API as groups-unresolved, audited, and nothing is approved', async () => {
    const token = await deviceCodeToken(h.sandbox, 'otto');
    const list = await api(h, 'GET', '', token);
    expect(list.status).toBe(403);
    expect(list.body.error?.code).toBe('groups-unresolved');
    expect(list.body.error?.message).toMatch(/more than 200 groups.*403 Authorization_RequestDenied/);
    await nothingApprovedThroughApi(h, token, 'groups-unresolved');
    const audited = await latest(h, 'api.auth.refused', h.user('otto').oid);
    expect(audited?.details).toMatchObject({ reason: 'groups-unresolved' });
  });

  it('still lets in the administrator whose token lists the group: Graph is asked only on overage', async () => {
    const token = await deviceCodeToken(h.sandbox, 'gina');
    expect((await api(h, 'GET', '', token)).status).toBe(200);
  });
});
