import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLikeClient } from './support/browser-like-client.ts';
import { pickAccount, signInAs } from './support/sign-in-steps.ts';
import { startHarness, type Harness } from './support/signin-harness.ts';
import { sandboxUnderTest, seededUsers } from './support/sandbox-under-test.ts';

/**
 * A sign-in bound to one request, as the approval pages start it: forced credentials, max_age,
 * Elevate's API scope; the continuation gets the validated delegated token, which is stored
 * nowhere.
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

describe('bound sign-in for an elevation', () => {
  it('forces credentials, binds the request, and hands the continuation a validated delegated token only', async () => {
    const client = new BrowserLikeClient();
    expect((await signInAs(client, h.url, users.admin.oid)).status).toBe(303);

    const start = await client.get(`${h.url}/probe/elevate/req-42`);
    expect(start.status).toBe(303);
    const params = new URL(start.location!).searchParams;
    expect(params.get('prompt')).toBe('login');
    expect(params.get('max_age')).toBe('300');
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

  it('does not count a sign-in answered from an earlier authentication as fresh', async () => {
    const client = new BrowserLikeClient();
    expect((await signInAs(client, h.url, users.admin.oid)).status).toBe(303);
    h.advance(120); // the flow starts well after that authentication
    const start = await client.get(`${h.url}/probe/elevate/req-43`);
    // Drop prompt=login: the sandbox then answers silently from its SSO session.
    const silent = new URL(start.location!);
    silent.searchParams.delete('prompt');
    silent.searchParams.delete('max_age');
    const callbackUrl = await pickAccount(client, silent.href, users.admin.oid);
    h.lastBound = undefined;
    expect((await client.get(callbackUrl)).status).toBe(303);
    expect(h.lastBound!.signIn.boundTo?.requestId).toBe('req-43');
    expect(h.lastBound!.fresh).toBe(false);
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
