/**
 * `elevate requests approve` under Conditional Access, end to end: the sandbox's tenant has a
 * policy requiring MFA for Azure Resource Manager, so the fresh device code sign-in (password
 * only) gets a token Entra refuses at the on-behalf-of exchange with its claims challenge. Elevate
 * relays it to the CLI as the claims-challenge protocol has an API do (401, `WWW-Authenticate:
 * Bearer ... error="insufficient_claims", claims="<base64>"`); the CLI runs a NEW device code
 * sign-in passing those claims to MSAL, the sandbox's device login performs MFA for it, and the
 * approval then runs once. When the sign-in cannot satisfy the policy, Elevate stops after its
 * bounded sign-ins and the CLI exits non-zero, nothing run, the request still pending.
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SIGN_IN_ROUNDS } from '../../src/approvals/elevation-approval.ts';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { restartCheckout } from '../approvals/support/approval-steps.ts';
import { findTokens, installTokenTap, type TokenTap } from '../approvals/support/token-tap.ts';
import { elevateCliAs, type CliRun } from '../support/elevate-cli-as-person.ts';
import { deletePolicy, putMfaPolicy } from '../support/sandbox-conditional-access.ts';
import { decodeClaims } from '../support/token-forge.ts';

const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./;

let h: ApprovalHarness;
let tap: TokenTap;
let place: { home: string; work: string; tmp: string };
const policies: string[] = [];

beforeAll(async () => {
  tap = installTokenTap();
  h = await startApprovalHarness({ deviceCodeIntervalSeconds: 1 });
  const root = mkdtempSync(join(tmpdir(), 'elevate-cli-claims-'));
  for (const d of ['home', 'work', 'tmp']) mkdirSync(join(root, d));
  place = { home: join(root, 'home'), work: join(root, 'work'), tmp: join(root, 'tmp') };
}, 60_000);

afterEach(async () => {
  for (const id of policies.splice(0)) await deletePolicy(h.sandbox.origin, id);
});

afterAll(async () => {
  await h?.close();
  tap?.restore();
});

const elevate = (args: string[], person: string): Promise<CliRun> => elevateCliAs({ url: h.url, sandbox: h.sandbox, ...place }, args, person);
const historyOf = async (id: string): Promise<AuditEntry[]> => [...(await h.audit.list({ requestId: id }, { limit: 500 })).entries].reverse();
const ofType = (history: AuditEntry[], type: string) => history.filter((e) => e.eventType === type);

async function requireMfa(userKey: string, satisfiedBySignIn = true): Promise<string> {
  const id = randomUUID();
  policies.push(id);
  const res = await putMfaPolicy(h.sandbox.origin, { id, users: [h.user(userKey).oid], satisfiedBySignIn });
  expect(res.status, await res.clone().text()).toBe(200);
  return id;
}

/** The ARM tokens Elevate got from its exchanges for this user, as the token tap saw them. */
const armTokensOf = (oid: string) =>
  tap
    .tokens()
    .filter((t) => t.kind === 'access_token')
    .map((t) => decodeClaims(t.value))
    .filter((c) => c.aud === 'https://management.azure.com/' && c.oid === oid);

describe('elevate requests approve under a Conditional Access claims challenge', { timeout: 180_000 }, () => {
  it('signs in again with the claims Elevate relays, and the elevation then runs exactly once', async () => {
    await requireMfa('admin');
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const exchanges = h.exchangeCount();
    const armBefore = h.sandbox.activityLog().filter((e) => e.callerObjectId === h.user('admin').oid).length;

    const run = await elevate(['requests', 'approve', raised.id, '--reason', 'INC-7: restart under CA', '--output', 'json'], 'admin');
    expect(run.code, run.stderr).toBe(0);
    // the administrator's sign-in, the fresh one bound to the request, and one more carrying Entra's
    // claims: a new device code flow, not a token from a cache
    expect(run.codesEntered).toBe(3);
    expect(run.stderr).toContain('Entra asks for more before Elevate can act for you');
    expect(run.stderr).toContain('AADSTS50076');
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'executed', requestId: raised.id, state: 'succeeded', arm: { status: 200 } });

    expect(await h.executions(raised.id)).toBe(1);
    expect(h.exchangeCount() - exchanges).toBe(2);
    const final = await h.agentGet(h.readerAgent, raised.id);
    expect(final).toMatchObject({ state: 'succeeded', actingIdentity: h.user('admin').oid });
    const arm = h.sandbox.activityLog().filter((e) => e.callerObjectId === h.user('admin').oid);
    expect(arm.length - armBefore).toBe(1);
    // the exchange that worked was for a sign-in that performed MFA (the device login honoured the claims)
    expect(armTokensOf(h.user('admin').oid).at(-1)).toMatchObject({ amr: ['pwd', 'mfa'] });

    const history = await historyOf(raised.id);
    expect(ofType(history, 'approval.obo.failed').map((e) => e.details)).toEqual([expect.objectContaining({ code: 'interaction_required', aadsts: '50076', claimsChallenge: true })]);
    expect(ofType(history, 'approval.sign-in.started').map((e) => e.details)).toEqual([
      expect.objectContaining({ round: 1, claimsChallenge: false }),
      expect.objectContaining({ round: 2, claimsChallenge: true }),
    ]);
    expect(ofType(history, 'approval.decided')).toHaveLength(1);
    expect(ofType(history, 'approval.obo.failed')[0]!.seq).toBeLessThan(ofType(history, 'approval.decided')[0]!.seq);
    expect(ofType(history, 'token.discarded')).toHaveLength(1);

    // no token in the CLI's output, the audit or the service's logs
    expect(run.stdout + run.stderr).not.toMatch(JWT);
    expect(findTokens(JSON.stringify(history), tap.tokens())).toEqual([]);
    expect(findTokens(h.logs.join('\n'), tap.tokens())).toEqual([]);
  });

  it('ends with one clear error and a non-zero exit when no sign-in satisfies the policy: nothing ran, the request is still pending', async () => {
    await requireMfa('admin2', false);
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const exchanges = h.exchangeCount();

    const run = await elevate(['requests', 'approve', raised.id, '--reason', 'restart, CA keeps asking', '--output', 'json'], 'admin2');
    expect(run.code, run.stderr).toBe(1);
    // one administrator sign-in, then one per round Elevate allows
    expect(run.codesEntered).toBe(1 + MAX_SIGN_IN_ROUNDS);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^elevate: interaction_required: .*AADSTS50076.*Entra kept asking for another sign-in\. .*still pending/m);
    expect(run.stderr.trim().split('\n').filter((l) => l.startsWith('elevate: '))).toHaveLength(1);

    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
    expect(await h.executions(raised.id)).toBe(0);
    expect(h.exchangeCount() - exchanges).toBe(MAX_SIGN_IN_ROUNDS);
    const history = await historyOf(raised.id);
    expect(ofType(history, 'approval.sign-in.started')).toHaveLength(MAX_SIGN_IN_ROUNDS);
    expect(ofType(history, 'approval.obo.failed')).toHaveLength(MAX_SIGN_IN_ROUNDS);
    expect(ofType(history, 'approval.obo.failed').every((e) => e.details.claimsChallenge === true && e.details.aadsts === '50076')).toBe(true);
    expect(ofType(history, 'approval.decided')).toHaveLength(0);
    expect(ofType(history, 'token.discarded')).toHaveLength(0);
    expect(run.stdout + run.stderr).not.toMatch(JWT);
    expect(findTokens(JSON.stringify(history), tap.tokens())).toEqual([]);
    expect(findTokens(h.logs.join('\n'), tap.tokens())).toEqual([]);
  });
});
