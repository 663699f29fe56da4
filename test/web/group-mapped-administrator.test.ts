/**
 * An SRE Agent Administrator by Entra group only, in a tenant whose admin turned on the groups
 * claim on Elevate's registration (groupMembershipClaims "SecurityGroup") and mapped the group in
 * service-roles.yaml: they approve in the browser and with the CLI's token, whether their token
 * lists the group or, beyond 200 groups, carries Entra's overage indicator instead, in which case
 * Elevate looks the mapped group up in Microsoft Graph (signin/group-memberships.ts).
 * The refusals (no groups claim; overage Graph cannot resolve) are in group-claims-refusals.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { approveElevation, restartCheckout, restartPayments } from '../approvals/support/approval-steps.ts';
import { SRE_ADMINS, startGroupAdministratorHarness } from '../approvals/support/group-administrators.ts';
import { deviceCodeToken } from '../support/device-code-token.ts';
import { decodeClaims } from '../support/token-forge.ts';

let h: ApprovalHarness;

beforeAll(async () => {
  h = await startGroupAdministratorHarness({ groupMembershipClaims: 'SecurityGroup', graphGroupMemberRead: true });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

async function approveInBrowser(key: string) {
  const raised = await h.submit(h.readerAgent, restartCheckout(h));
  expect(raised.state).toBe('pending_elevation');
  const browser = await h.signedIn(key);
  // signed in with a session, not sent to the refusal page
  const approvals = await browser.get(`${h.url}/approvals`);
  expect(approvals.status, approvals.location ?? approvals.body.slice(0, 200)).toBe(200);
  const { callback, page } = await approveElevation(browser, h, raised.id, key, 'INC-1042: restart approved');
  expect(callback.location, callback.body.slice(0, 300)).toBe(`${h.url}/approvals/${raised.id}?done=executed`);
  expect(page?.body).toContain('data-state="succeeded"');
  const final = await h.agentGet(h.readerAgent, raised.id);
  expect(final).toMatchObject({ state: 'succeeded', actingIdentity: h.user(key).oid });
  expect(await h.executions(raised.id)).toBe(1);
  const signIns = (await h.audit.list({ eventType: 'signin.completed' }, { limit: 50 })).entries.filter((e) => e.actor.id === h.user(key).oid);
  expect(signIns.length).toBeGreaterThanOrEqual(2); // the session's sign-in and the approval's fresh one
  for (const e of signIns) expect(e.details.roles).toEqual(['administrator']);
}

async function approveWithCliToken(token: string) {
  const raised = await h.submit(h.privilegedAgent, restartPayments(h));
  expect(raised.state).toBe('pending_consent');
  const list = await fetch(`${h.url}/api/v1/requests`, { headers: { authorization: `Bearer ${token}` } });
  expect(list.status).toBe(200);
  const res = await fetch(`${h.url}/api/v1/requests/${raised.id}/approve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'payments restart ok' }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  expect(body).toMatchObject({ outcome: 'executed', state: 'succeeded' });
  expect(await h.executions(raised.id)).toBe(1);
}

describe('an administrator by group only', { timeout: 90_000 }, () => {
  it('whose token lists the group approves an elevation in the browser', async () => {
    await approveInBrowser('gina');
  });

  it("whose token lists the group approves a consent with the CLI's token (administrator API)", async () => {
    const token = await deviceCodeToken(h.sandbox, 'gina');
    expect(decodeClaims(token).groups).toEqual([SRE_ADMINS]);
    await approveWithCliToken(token);
  });

  it('in more than 200 groups (overage indicator, no list) is found in Microsoft Graph and approves in the browser', async () => {
    await approveInBrowser('otto');
    expect(h.logs.join('\n')).not.toContain('Microsoft Graph could not say');
  });

  it("in more than 200 groups is found in Microsoft Graph and approves with the CLI's token", async () => {
    const token = await deviceCodeToken(h.sandbox, 'otto');
    const claims = decodeClaims(token);
    expect(claims).not.toHaveProperty('groups');
    expect(claims._claim_names).toEqual({ groups: 'src1' });
    await approveWithCliToken(token);
  });
});
