import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLikeClient } from './support/browser-like-client.ts';
import { pickAccount, signInAs } from './support/sign-in-steps.ts';
import { startHarness, type Harness } from './support/signin-harness.ts';
import { sandboxUnderTest, seededUsers } from './support/sandbox-under-test.ts';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { seedFile, withElevateOptionalClaims } from '../support/seed-variants.ts';

/**
 * A sign-in bound to one request, as the approval pages start it: forced credentials (no max_age:
 * auth_time is an optional claim), Elevate's API scope; the continuation gets the validated
 * delegated token, which is stored nowhere. The shared sandbox is Entra's default (no auth_time
 * in ID tokens); a private one has the optional claim configured.
 */

const sandbox = sandboxUnderTest();
const users = seededUsers(sandbox);
let h: Harness;

beforeAll(async () => {
  h = await startHarness(sandbox);
});
afterAll(async () => {
  await h?.close();
});

describe('bound sign-in for an elevation (no auth_time, as Entra by default)', () => {
  it('forces credentials, binds the request, and hands the continuation a validated delegated token only', async () => {
    const client = new BrowserLikeClient();
    expect((await signInAs(client, h.url, users.admin.oid)).status).toBe(303);

    const start = await client.get(`${h.url}/probe/elevate/req-42`);
    expect(start.status).toBe(303);
    const params = new URL(start.location!).searchParams;
    expect(params.get('prompt')).toBe('login');
    expect(params.get('max_age')).toBeNull();
    expect(params.get('scope')).toBe(`openid profile email api://${sandbox.tenant.elevateApp.clientId}/user_impersonation`);

    // prompt=login: the sandbox shows its page again despite the SSO session.
    const callbackUrl = await pickAccount(client, start.location!, users.admin.oid);
    h.lastBound = undefined;
    const done = await client.get(callbackUrl);
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${h.url}/probe/requests`);

    const bound = h.lastBound!;
    expect(bound.signIn.boundTo).toEqual({ kind: 'probe', requestId: 'req-42' });
    expect(bound.signIn.promptedLogin).toBe(true);
    expect(bound.signIn.authenticatedDuringFlow).toBe(true);
    expect(bound.signIn.user.authTime).toBeNull();
    expect(bound.signIn.user.homeTenantId).toBe(sandbox.tenant.tenantId);
    expect(bound.signIn.authenticationSource).toBe('prompt_login');
    expect(bound.signIn.authenticatedAt).toBe(bound.signIn.startedAt);
    expect(bound.fresh).toBe(true);
    expect(bound.tokenShape).toBe(true);
    expect(bound.tokenOid).toBe(users.admin.oid);
    expect(bound.accessUserOid).toBe(users.admin.oid);
    expect(bound.canApprove).toBe(true);
    expect(JSON.stringify(bound.signIn)).not.toMatch(/eyJ/);

    const rows = await h.db.all<{ data: string }>('SELECT data FROM sessions');
    expect(rows.some((r) => r.data.includes(users.admin.oid))).toBe(true);
    for (const row of rows) expect(row.data).not.toMatch(/eyJ/);
    const audit = JSON.stringify((await h.audit.list({}, { limit: 1000 })).entries);
    expect(audit).not.toMatch(/eyJ/);
    expect(audit).toContain('req-42');
  });

  it('hands the continuation whoever actually signed in, with that person\'s rights', async () => {
    // Signed in as the administrator, but at the tenant the Auditor's account is picked.
    const client = new BrowserLikeClient();
    expect((await signInAs(client, h.url, users.admin.oid)).status).toBe(303);
    const start = await client.get(`${h.url}/probe/elevate/req-44`);
    const callbackUrl = await pickAccount(client, start.location!, users.auditor.oid);
    h.lastBound = undefined;
    expect((await client.get(callbackUrl)).status).toBe(303);
    expect(h.lastBound!.signIn.user.oid).toBe(users.auditor.oid);
    expect(h.lastBound!.accessUserOid).toBe(users.auditor.oid);
    expect(h.lastBound!.canApprove).toBe(false);
  });

  it('refuses to start a bound sign-in for someone without the approve permission', async () => {
    const client = new BrowserLikeClient();
    expect((await signInAs(client, h.url, users.auditor.oid)).status).toBe(303);
    const start = await client.get(`${h.url}/probe/elevate/req-42`);
    expect(start.status).toBe(403);
  });

  it('counts a prompt=login sign-in from the start of its flow: a flow left open too long is not fresh', async () => {
    const client = new BrowserLikeClient();
    expect((await signInAs(client, h.url, users.admin.oid)).status).toBe(303);
    const start = await client.get(`${h.url}/probe/elevate/req-45`);
    const callbackUrl = await pickAccount(client, start.location!, users.admin.oid);
    h.advance(301); // the approver came back after more than the allowed 300 s
    h.lastBound = undefined;
    expect((await client.get(callbackUrl)).status).toBe(303);
    expect(h.lastBound!.signIn.authenticationSource).toBe('prompt_login');
    expect(h.lastBound!.fresh).toBe(false);
  });
});

describe('bound sign-in for an elevation (auth_time configured on the app registration)', () => {
  let withClaim: SandboxHandle;
  let hc: Harness;
  beforeAll(async () => {
    withClaim = await startPrivateSandbox({ seedFile: seedFile((seed) => withElevateOptionalClaims(seed, { idToken: ['auth_time'] })) });
    hc = await startHarness(withClaim);
  });
  afterAll(async () => {
    await hc?.close();
    await withClaim?.close();
  });

  it('uses auth_time when the ID token carries it', async () => {
    const client = new BrowserLikeClient();
    expect((await signInAs(client, hc.url, users.admin.oid)).status).toBe(303);
    const start = await client.get(`${hc.url}/probe/elevate/req-46`);
    const callbackUrl = await pickAccount(client, start.location!, users.admin.oid);
    hc.lastBound = undefined;
    expect((await client.get(callbackUrl)).status).toBe(303);
    expect(hc.lastBound!.signIn.authenticationSource).toBe('auth_time');
    expect(hc.lastBound!.signIn.user.authTime).toBe(hc.lastBound!.signIn.authenticatedAt);
    expect(hc.lastBound!.fresh).toBe(true);
  });

  it('does not count a sign-in answered from an earlier authentication as fresh (prompt=login stripped in the browser)', async () => {
    const client = new BrowserLikeClient();
    expect((await signInAs(client, hc.url, users.admin.oid)).status).toBe(303);
    hc.advance(120); // the flow starts well after that authentication
    const start = await client.get(`${hc.url}/probe/elevate/req-43`);
    // Drop prompt=login: the sandbox then answers silently from its SSO session, and only
    // auth_time (older than the flow) shows it.
    const silent = new URL(start.location!);
    silent.searchParams.delete('prompt');
    const callbackUrl = await pickAccount(client, silent.href, users.admin.oid);
    hc.lastBound = undefined;
    expect((await client.get(callbackUrl)).status).toBe(303);
    expect(hc.lastBound!.signIn.boundTo?.requestId).toBe('req-43');
    expect(hc.lastBound!.signIn.authenticatedDuringFlow).toBe(false);
    expect(hc.lastBound!.fresh).toBe(false);
  });
});

describe('rate limits', () => {
  it('answers 429 once an address starts too many sign-ins', async () => {
    const limited = await startHarness(sandbox, { signInLimit: 3 });
    try {
      const client = new BrowserLikeClient();
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await client.get(`${limited.url}/auth/signin`)).status);
      expect(statuses).toEqual([303, 303, 303, 429]);
      const json = await client.request(`${limited.url}/auth/signin`, { headers: { accept: 'application/json' } });
      expect(json.status).toBe(429);
      expect(JSON.parse(json.body)).toMatchObject({ error: 'rate_limited' });
    } finally {
      await limited.close();
    }
  });
});
