/**
 * Entra's Conditional Access claims challenge on the on-behalf-of exchange, end to end: the
 * sandbox's tenant has a policy requiring MFA for Azure Resource Manager, so the token of the
 * approver's sign-in (password only) is refused at the exchange with Entra's real error body.
 * Elevate gets it through MSAL, sends the approver to sign in again carrying the `claims` request,
 * and that sign-in performs MFA: the exchange then succeeds and the operation runs once. When the
 * sign-in cannot satisfy the policy, Elevate stops after its bounded number of sign-ins, runs
 * nothing, and says why. Nothing here is replaced: the body comes from the sandbox's token
 * endpoint, the parsing from MSAL and Elevate.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SIGN_IN_ROUNDS } from '../../src/approvals/elevation-approval.ts';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { afterCallback, approveUntilCallback, restartCheckout } from '../approvals/support/approval-steps.ts';
import { findTokens, installTokenTap, type TokenTap } from '../approvals/support/token-tap.ts';
import type { BrowserLikeClient, Hop } from '../signin/support/browser-like-client.ts';
import { pickAccount } from '../signin/support/sign-in-steps.ts';
import { putMfaPolicy } from '../support/sandbox-conditional-access.ts';

let h: ApprovalHarness;
let tap: TokenTap;

beforeAll(async () => {
  tap = installTokenTap();
  h = await startApprovalHarness();
}, 60_000);

afterAll(async () => {
  await h?.close();
  tap?.restore();
});

const historyOf = async (id: string): Promise<AuditEntry[]> => [...(await h.audit.list({ requestId: id }, { limit: 500 })).entries].reverse();
const ofType = (history: AuditEntry[], type: string) => history.filter((e) => e.eventType === type);
const isAuthorize = (hop: Hop) => hop.status === 303 && /\/oauth2\/v2\.0\/authorize$/.test(new URL(hop.location ?? 'http://x/').pathname);

/** The authorize URL the callback sent the approver back to, with the claims request it carries. */
function signInAgain(hop: Hop): { url: URL; claims: { access_token?: { capolids?: { essential?: boolean; values?: string[] } } } } {
  const url = new URL(hop.location!);
  return { url, claims: JSON.parse(url.searchParams.get('claims') ?? 'null') as never };
}

async function mfaPolicyFor(userKey: string, satisfiedBySignIn = true): Promise<{ id: string; status: number }> {
  const id = randomUUID();
  const res = await putMfaPolicy(h.sandbox.origin, { id, users: [h.user(userKey).oid], satisfiedBySignIn });
  return { id, status: res.status };
}

/** The sign-in page for `url`, the account picked, the callback delivered. */
async function completeSignIn(client: BrowserLikeClient, url: URL, userKey: string): Promise<Hop> {
  return client.get(await pickAccount(client, url.href, h.user(userKey).oid));
}

describe('the Conditional Access claims challenge on the on-behalf-of exchange', { timeout: 60_000 }, () => {
  it('sends the approver back to sign in with the claims; that sign-in satisfies Entra and the operation runs once', async () => {
    const policy = await mfaPolicyFor('admin');
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const exchangesBefore = h.exchangeCount();
    const armBefore = h.sandbox.activityLog().filter((e) => e.callerObjectId === h.user('admin').oid).length;

    const { callbackUrl, authorizeUrl } = await approveUntilCallback(admin, h, raised.id, 'admin', 'INC-7: restart under CA');
    expect(new URL(authorizeUrl).searchParams.get('claims')).toBeNull();
    const first = await admin.get(callbackUrl);
    // Entra refused the exchange with a claims challenge: nothing ran, back to the sign-in with it.
    expect(isAuthorize(first), `expected a sign-in carrying Entra's claims challenge, got ${first.status} ${first.location ?? first.body.slice(0, 200)}`).toBe(true);
    const again = signInAgain(first);
    expect(again.claims?.access_token?.capolids).toEqual({ essential: true, values: [policy.id] });
    expect(again.url.searchParams.get('prompt')).toBe('login');
    expect(again.url.searchParams.get('login_hint')).toBe(h.user('admin').upn);
    expect(again.url.searchParams.get('scope')).toContain('user_impersonation');
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
    expect(await h.executions(raised.id)).toBe(0);

    const second = await completeSignIn(admin, again.url, 'admin');
    expect(second.status, second.body.slice(0, 300)).toBe(303);
    expect(second.location).toBe(`${h.url}/approvals/${raised.id}?done=executed`);
    const final = await h.agentGet(h.readerAgent, raised.id);
    expect(final).toMatchObject({ state: 'succeeded', actingIdentity: h.user('admin').oid });
    expect(await h.executions(raised.id)).toBe(1);
    expect(h.exchangeCount() - exchangesBefore).toBe(2);
    // ARM saw the operation once, from the approver.
    const arm = h.sandbox.activityLog().filter((e) => e.callerObjectId === h.user('admin').oid);
    expect(arm.length - armBefore).toBe(1);
    expect(arm.at(-1)).toMatchObject({ correlationId: final.arm?.correlationId, status: 'Succeeded' });

    // The audit has the challenge (what Entra asked, not its content) and no token.
    const history = await historyOf(raised.id);
    expect(ofType(history, 'approval.obo.failed').map((e) => e.details)).toEqual([
      expect.objectContaining({ code: 'interaction_required', aadsts: '50076', claimsChallenge: true }),
    ]);
    expect(ofType(history, 'approval.sign-in.started').map((e) => e.details)).toEqual([
      expect.objectContaining({ round: 1, claimsChallenge: false }),
      expect.objectContaining({ round: 2, claimsChallenge: true }),
    ]);
    expect(ofType(history, 'approval.decided')).toHaveLength(1);
    expect(ofType(history, 'approval.obo.failed')[0]!.seq).toBeLessThan(ofType(history, 'approval.decided')[0]!.seq);
    expect(findTokens(JSON.stringify(history), tap.tokens())).toEqual([]);
    expect(findTokens(h.logs.join('\n'), tap.tokens())).toEqual([]);
    expect(policy.status).toBe(200);
  });

  it('refuses clearly, runs nothing and stops after the bounded sign-ins when the sign-in cannot satisfy the policy', async () => {
    const policy = await mfaPolicyFor('admin2', false);
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin2 = await h.signedIn('admin2');
    const exchangesBefore = h.exchangeCount();

    const { callbackUrl } = await approveUntilCallback(admin2, h, raised.id, 'admin2', 'restart, CA keeps asking');
    let hop = await admin2.get(callbackUrl);
    let signIns = 1;
    while (isAuthorize(hop)) {
      expect(signIns, 'Elevate kept sending the approver back to sign in').toBeLessThan(MAX_SIGN_IN_ROUNDS);
      const again = signInAgain(hop);
      expect(again.claims?.access_token?.capolids?.values).toEqual([policy.id]);
      hop = await completeSignIn(admin2, again.url, 'admin2');
      signIns += 1;
    }
    expect(signIns).toBe(MAX_SIGN_IN_ROUNDS);
    expect(h.exchangeCount() - exchangesBefore).toBe(MAX_SIGN_IN_ROUNDS);

    const page = await afterCallback(admin2, hop);
    expect(page.status).toBe(403);
    expect(page.body).toContain('data-testid="obo-problem"');
    expect(page.body).toContain('data-code="interaction_required"');
    expect(page.body).toContain('AADSTS50076');
    expect(page.body).toContain('Entra kept asking for another sign-in');
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
    expect(await h.executions(raised.id)).toBe(0);

    const history = await historyOf(raised.id);
    expect(ofType(history, 'approval.sign-in.started')).toHaveLength(MAX_SIGN_IN_ROUNDS);
    expect(ofType(history, 'approval.obo.failed')).toHaveLength(MAX_SIGN_IN_ROUNDS);
    expect(ofType(history, 'approval.obo.failed').every((e) => e.details.claimsChallenge === true && e.details.aadsts === '50076')).toBe(true);
    expect(ofType(history, 'approval.decided')).toHaveLength(0);
    expect(ofType(history, 'token.discarded')).toHaveLength(0);
    expect(findTokens(JSON.stringify(history), tap.tokens())).toEqual([]);
    expect(policy.status).toBe(200);
  });
});
