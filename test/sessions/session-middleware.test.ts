import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { authorizeAs, signInAs, startSignIn } from '../signin/support/sign-in-steps.ts';
import { startHarness, type Harness } from '../signin/support/signin-harness.ts';
import { sandboxUnderTest, seededUsers } from '../signin/support/sandbox-under-test.ts';

/** Session lifetime through the real stack: idle and absolute timeouts, sign-out. */

const sandbox = sandboxUnderTest();
const users = seededUsers(sandbox);
const IDLE = 600;
const ABSOLUTE = 3600;
let h: Harness;

beforeAll(async () => {
  h = await startHarness(sandbox, { env: { ELEVATE_SESSION_IDLE_SECONDS: String(IDLE), ELEVATE_SESSION_ABSOLUTE_SECONDS: String(ABSOLUTE) } });
});
afterAll(async () => {
  await h?.close();
});

async function signedInClient(): Promise<BrowserLikeClient> {
  const client = new BrowserLikeClient();
  expect((await signInAs(client, h.url, users.admin.oid)).status).toBe(303);
  return client;
}

async function signedIn(client: BrowserLikeClient): Promise<boolean> {
  const answer = await client.get(`${h.url}/probe/form`);
  if (answer.status === 303) {
    expect(answer.location).toMatch(/\/auth\/signin\?returnTo=%2Fprobe%2Fform$/);
    return false;
  }
  expect(answer.status).toBe(200);
  return true;
}

async function adminRows(): Promise<number> {
  const rows = await h.db.all<{ data: string }>('SELECT data FROM sessions');
  return rows.filter((r) => r.data.includes(users.admin.oid)).length;
}

describe('session timeouts', () => {
  it('ends a session left idle for the idle timeout, and deletes its row', async () => {
    const client = await signedInClient();
    const before = await adminRows();
    h.advance(IDLE + 1);
    expect(await signedIn(client)).toBe(false);
    expect(await adminRows()).toBe(before - 1);
  });

  it('keeps an active session alive past the idle timeout', async () => {
    const client = await signedInClient();
    for (let i = 0; i < 3; i++) {
      h.advance(IDLE - 60);
      expect(await signedIn(client)).toBe(true);
    }
  });

  it('ends a busy session at the absolute timeout however active it is', async () => {
    const client = await signedInClient();
    let elapsed = 0;
    while (elapsed + IDLE / 2 < ABSOLUTE) {
      h.advance(IDLE / 2);
      elapsed += IDLE / 2;
      expect(await signedIn(client)).toBe(true);
    }
    h.advance(ABSOLUTE - elapsed);
    expect(await signedIn(client)).toBe(false);
  });

  it('tells an API caller whose session ended to sign in again, in JSON', async () => {
    const client = await signedInClient();
    h.advance(IDLE + 1);
    const answer = await client.get(`${h.url}/api/probe/audit`);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ error: 'unauthenticated', message: 'Your session has ended. Sign in again.' });
  });

  it('sweeps expired rows', async () => {
    await signedInClient();
    h.advance(ABSOLUTE + 1);
    await h.mount.sessions.store.sweep();
    expect(await adminRows()).toBe(0);
  });
});

describe('what an anonymous caller is told', () => {
  const askJson = (client: BrowserLikeClient) => client.request(`${h.url}/api/probe/audit`, { headers: { accept: 'application/json' } });
  const host = () => new URL(h.url).hostname;

  it('asks someone who has only started a sign-in to sign in, not to sign in "again"', async () => {
    const client = new BrowserLikeClient();
    await startSignIn(client, `${h.url}/auth/signin`);
    expect(client.cookie(host(), 'elevate.sid')).toBeDefined();
    const answer = await askJson(client);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ error: 'unauthenticated', message: 'Sign in to Elevate first.' });
  });

  it('asks someone whose sign-in was refused (the refusal kept for /auth/refused) to sign in, not to sign in "again"', async () => {
    const client = new BrowserLikeClient();
    const { callbackUrl } = await authorizeAs(client, `${h.url}/auth/signin`, users.personal.oid);
    expect((await client.get(callbackUrl)).location).toBe(`${h.url}/auth/refused`);
    const answer = await askJson(client);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toEqual({ error: 'unauthenticated', message: 'Sign in to Elevate first.' });
  });

  it('says the session has ended when the cookie names a session the store does not know', async () => {
    const client = await signedInClient();
    const { csrfToken } = JSON.parse((await client.get(`${h.url}/probe/form`)).body) as { csrfToken: string };
    const sid = client.cookie(host(), 'elevate.sid')!;
    await client.post(`${h.url}/auth/signout`, { _csrf: csrfToken });
    // Another tab still holding the old cookie.
    const stale = new BrowserLikeClient();
    stale.setCookie(host(), 'elevate.sid', sid);
    expect(JSON.parse((await askJson(stale)).body)).toEqual({ error: 'unauthenticated', message: 'Your session has ended. Sign in again.' });
  });
});

describe('sign-out', () => {
  it('destroys the local session and sends the browser to the tenant to sign out there', async () => {
    const client = await signedInClient();
    const { csrfToken } = JSON.parse((await client.get(`${h.url}/probe/form`)).body) as { csrfToken: string };
    const before = await adminRows();
    const answer = await client.post(`${h.url}/auth/signout`, { _csrf: csrfToken });
    expect(answer.status).toBe(303);
    const logout = new URL(answer.location!);
    expect(logout.origin).toBe(sandbox.browserOrigin);
    expect(logout.pathname).toBe(`/${sandbox.tenant.tenantId}/oauth2/v2.0/logout`);
    expect(logout.searchParams.get('post_logout_redirect_uri')).toBe(`${h.url}/auth/signed-out`);
    expect(logout.searchParams.get('client_id')).toBe(sandbox.tenant.elevateApp.clientId);
    expect(await adminRows()).toBe(before - 1);
    expect(await signedIn(client)).toBe(false);

    const { entries } = await h.audit.list({ eventType: 'signin.ended' }, { limit: 1 });
    expect(entries[0]?.actor.id).toBe(users.admin.oid);

    // The tenant sends the browser back to a page that says so.
    const back = await client.follow(await client.get(logout.href));
    const last = back.at(-1)!;
    expect(last.status).toBe(200);
    expect(last.body).toContain('You are signed out');
  });

  it('refuses a sign-out without the CSRF token (a cross-site form cannot sign you out)', async () => {
    const client = await signedInClient();
    const answer = await client.post(`${h.url}/auth/signout`, {});
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('did not come from Elevate');
    expect(await signedIn(client)).toBe(true);
  });
});
