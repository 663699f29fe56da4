import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { DatabaseSessionStore } from '../../src/sessions/database-session-store.ts';
import { sessionCookieSettings } from '../../src/sessions/session-cookie.ts';
import { createSessionMiddleware } from '../../src/sessions/session-middleware.ts';
import { SignInContinuations } from '../../src/signin/sign-in-continuations.ts';
import { createSignInRouter } from '../../src/signin/sign-in-router.ts';
import { openTestStore } from '../support/test-store.ts';
import { BrowserLikeClient } from './support/browser-like-client.ts';
import { authorizeAs, pickAccount, refusalPage, signInAs, startSignIn } from './support/sign-in-steps.ts';
import { startHarness, type Harness } from './support/signin-harness.ts';
import { sandboxUnderTest, seededUsers } from './support/sandbox-under-test.ts';

/**
 * The whole authorization code flow against the sandbox tenant, through the real web app:
 * who gets in, who is refused and why, and every way a callback can be forged or replayed.
 */

const sandbox = sandboxUnderTest();
const users = seededUsers(sandbox);
let h: Harness;
let host: string;

beforeAll(async () => {
  h = await startHarness(sandbox);
  host = new URL(h.url).hostname;
});
afterAll(async () => {
  await h?.close();
});

async function sessionRows(): Promise<Array<{ sid: string; data: string }>> {
  return h.db.all<{ sid: string; data: string }>('SELECT sid, data FROM sessions');
}

async function latestAudit(eventType: string): Promise<AuditEntry> {
  const { entries } = await h.audit.list({ eventType }, { limit: 1 });
  expect(entries.length).toBeGreaterThan(0);
  return entries[0]!;
}

async function whoAmI(client: BrowserLikeClient): Promise<string | undefined> {
  const answer = await client.get(`${h.url}/probe/form`);
  if (answer.status !== 200) return undefined;
  return (JSON.parse(answer.body) as { user: { upn: string } }).user.upn;
}

describe('a successful sign-in', () => {
  it('signs the administrator in, shows their name, and keeps only identity claims in the session row', async () => {
    const client = new BrowserLikeClient();
    const callback = await signInAs(client, h.url, users.admin.oid);
    expect(callback.status).toBe(303);
    expect(callback.location).toBe(`${h.url}/`);

    const home = await client.get(`${h.url}/`);
    expect(home.body).toContain(users.admin.displayName);
    expect(home.body).toContain('Sign out');
    expect(await whoAmI(client)).toBe(users.admin.upn);

    const sid = client.cookie(host, 'elevate.sid');
    expect(sid).toBeDefined();
    const rows = await sessionRows();
    const row = rows.find((r) => r.data.includes(users.admin.oid));
    expect(row).toBeDefined();
    const data = JSON.parse(row!.data) as Record<string, unknown>;
    expect(data.user).toMatchObject({ oid: users.admin.oid, upn: users.admin.upn, name: users.admin.displayName, roles: ['administrator'] });
    expect(Object.keys(data.user as object).sort()).toEqual(['authTime', 'homeTenantId', 'name', 'oid', 'roles', 'signedInAt', 'tid', 'upn']);
    // No token of any kind, and no leftover PKCE verifier or nonce.
    expect(row!.data).not.toMatch(/eyJ/);
    expect(row!.data).not.toMatch(/access_token|id_token|refresh_token|codeVerifier|nonce|pendingSignIns/);

    const entry = await latestAudit('signin.completed');
    expect(entry.actor).toMatchObject({ kind: 'user', id: users.admin.oid });
    expect(JSON.stringify(entry)).not.toMatch(/eyJ/);
  });

  it('requests no refresh token: the scope is openid profile email only', async () => {
    const client = new BrowserLikeClient();
    const authorizeUrl = await startSignIn(client, `${h.url}/auth/signin`);
    const params = new URL(authorizeUrl).searchParams;
    expect(params.get('scope')).toBe('openid profile email');
    expect(params.get('response_type')).toBe('code');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(params.get('state')).toBeTruthy();
    expect(params.get('nonce')).toBeTruthy();
    expect(params.get('redirect_uri')).toBe(`${h.url}/auth/callback`);
  });

  it('asks the tenant to show the account picker when the user chooses another account', async () => {
    const client = new BrowserLikeClient();
    const authorizeUrl = await startSignIn(client, `${h.url}/auth/signin?account=choose`);
    expect(new URL(authorizeUrl).searchParams.get('prompt')).toBe('select_account');
  });

  it('returns to a local page after sign-in, but never to another site', async () => {
    const local = new BrowserLikeClient();
    const { callbackUrl } = await authorizeAs(local, `${h.url}/auth/signin?returnTo=%2Fprobe%2Frequests`, users.admin.oid);
    expect((await local.get(callbackUrl)).location).toBe(`${h.url}/probe/requests`);

    const evil = new BrowserLikeClient();
    const tampered = await authorizeAs(evil, `${h.url}/auth/signin?returnTo=https%3A%2F%2Fevil.example%2F`, users.admin.oid);
    expect((await evil.get(tampered.callbackUrl)).location).toBe(`${h.url}/`);
  });

  it('gives a new session id at sign-in: the cookie from before sign-in carries no identity', async () => {
    const client = new BrowserLikeClient();
    const { callbackUrl } = await authorizeAs(client, `${h.url}/auth/signin`, users.admin.oid);
    const before = client.cookie(host, 'elevate.sid');
    expect(before).toBeDefined();
    expect((await client.get(callbackUrl)).status).toBe(303);
    const after = client.cookie(host, 'elevate.sid');
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(await whoAmI(client)).toBe(users.admin.upn);

    // An attacker who planted or saw the pre-sign-in cookie gets nothing from it.
    const attacker = new BrowserLikeClient();
    attacker.setCookie(host, 'elevate.sid', before!);
    expect(await whoAmI(attacker)).toBeUndefined();
    const rows = await sessionRows();
    const beforeSid = decodeURIComponent(before!).slice(2).split('.')[0]!;
    expect(rows.map((r) => r.sid)).not.toContain(beforeSid);
  });
});

describe('refused accounts', () => {
  it('refuses the personal Microsoft account that holds the Administrator role, and says why', async () => {
    const client = new BrowserLikeClient();
    const answer = await refusalPage(client, await signInAs(client, h.url, users.personal.oid));
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('personal Microsoft account');
    expect(answer.body).toContain('data-reason="personal-account"');
    expect(await whoAmI(client)).toBeUndefined();
    const entry = await latestAudit('signin.refused');
    expect(entry.details).toMatchObject({ reason: 'personal-account' });
    expect(entry.actor.id).toBe(users.personal.oid);
    expect(JSON.stringify(entry)).not.toMatch(/eyJ/);
  });

  it('refuses a guest from another tenant that holds the Administrator role, and says why', async () => {
    const client = new BrowserLikeClient();
    const answer = await refusalPage(client, await signInAs(client, h.url, users.guest.oid));
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('data-reason="guest-account"');
    expect(answer.body).toMatch(/guest whose home is another organisation/);
    expect(await whoAmI(client)).toBeUndefined();
    expect((await latestAudit('signin.refused')).details).toMatchObject({ reason: 'guest-account' });
  });

  it('refuses a member without any Elevate role and names the roles that would do', async () => {
    const client = new BrowserLikeClient();
    const answer = await refusalPage(client, await signInAs(client, h.url, users.noRole.oid));
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('data-reason="no-role"');
    expect(answer.body).toContain('SRE Agent Administrator');
    expect(answer.body).toContain('Auditor');
    expect(await whoAmI(client)).toBeUndefined();
    expect((await latestAudit('signin.refused')).details).toMatchObject({ reason: 'no-role' });
    const rows = await sessionRows();
    expect(rows.some((r) => r.data.includes(users.noRole.oid))).toBe(false);
  });
});

describe('the refusal page', () => {
  it('lives at a stable address: reloading it says the same, and the spent callback is never shown again', async () => {
    const client = new BrowserLikeClient();
    const { callbackUrl } = await authorizeAs(client, `${h.url}/auth/signin`, users.personal.oid);
    const callback = await client.get(callbackUrl);
    expect(callback.status).toBe(303);
    expect(callback.location).toBe(`${h.url}/auth/refused`);
    expect(callback.body).not.toContain('personal Microsoft account');
    const first = await client.get(callback.location!);
    const reload = await client.get(callback.location!);
    expect(first.status).toBe(403);
    expect(reload.status).toBe(403);
    const explanation = (hop: { body: string }) => /data-testid="refusal-explanation">([^<]*)</.exec(hop.body)?.[1];
    expect(explanation(first)).toContain('personal Microsoft account');
    expect(explanation(reload)).toBe(explanation(first));
    expect(reload.headers.get('cache-control')).toContain('no-store');
    // Without a refusal in the session there is nothing to show.
    const stranger = new BrowserLikeClient();
    expect((await stranger.get(`${h.url}/auth/refused`)).status).toBe(303);
  });
});

describe('metrics', () => {
  it('counts completed and refused sign-ins by reason', async () => {
    const metric = await h.metrics.registry.getSingleMetricAsString('elevate_signins_total');
    expect(metric).toMatch(/elevate_signins_total\{outcome="completed",reason=""\} [1-9]/);
    expect(metric).toMatch(/elevate_signins_total\{outcome="refused",reason="personal-account"\} [1-9]/);
  });
});

describe('forged and replayed callbacks', () => {
  it('refuses a callback whose state was not issued to this browser (state mismatch)', async () => {
    const client = new BrowserLikeClient();
    const { callbackUrl } = await authorizeAs(client, `${h.url}/auth/signin`, users.admin.oid);
    const forged = new URL(callbackUrl);
    forged.searchParams.set('state', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const answer = await refusalPage(client, await client.get(forged.href));
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('does not belong to a sign-in started in this browser');
    expect(await whoAmI(client)).toBeUndefined();
    expect((await latestAudit('signin.refused')).details).toMatchObject({ reason: 'unknown-state' });
  });

  it("refuses a victim's callback delivered to another browser (login CSRF / stolen code)", async () => {
    const victim = new BrowserLikeClient();
    const { callbackUrl } = await authorizeAs(victim, `${h.url}/auth/signin`, users.admin.oid);
    const attacker = new BrowserLikeClient();
    await startSignIn(attacker, `${h.url}/auth/signin`); // the attacker has a session, with its own state
    const answer = await refusalPage(attacker, await attacker.get(callbackUrl));
    expect(answer.status).toBe(400);
    expect(await whoAmI(attacker)).toBeUndefined();
  });

  it('refuses an ID token whose nonce is not the one this flow sent (nonce mismatch)', async () => {
    const client = new BrowserLikeClient();
    const authorizeUrl = new URL(await startSignIn(client, `${h.url}/auth/signin`));
    authorizeUrl.searchParams.set('nonce', 'attacker-chosen-nonce');
    const callbackUrl = await pickAccount(client, authorizeUrl.href, users.admin.oid);
    const answer = await refusalPage(client, await client.get(callbackUrl));
    expect(answer.status).toBe(400);
    expect(await whoAmI(client)).toBeUndefined();
    expect((await latestAudit('signin.refused')).details).toMatchObject({ reason: 'nonce-mismatch' });
  });

  it('refuses a replayed callback after a successful sign-in (state reuse)', async () => {
    const client = new BrowserLikeClient();
    const { callbackUrl } = await authorizeAs(client, `${h.url}/auth/signin`, users.admin.oid);
    expect((await client.get(callbackUrl)).status).toBe(303);
    const replay = await refusalPage(client, await client.get(callbackUrl));
    expect(replay.status).toBe(400);
    expect((await latestAudit('signin.refused')).details).toMatchObject({ reason: 'unknown-state' });
  });

  it('refuses a redeemed code presented again under a fresh state (code reuse)', async () => {
    const first = new BrowserLikeClient();
    const used = await authorizeAs(first, `${h.url}/auth/signin`, users.admin.oid);
    expect((await first.get(used.callbackUrl)).status).toBe(303);

    const second = new BrowserLikeClient();
    const fresh = await authorizeAs(second, `${h.url}/auth/signin`, users.standard.oid);
    const spliced = new URL(fresh.callbackUrl);
    spliced.searchParams.set('code', new URL(used.callbackUrl).searchParams.get('code')!);
    const answer = await refusalPage(second, await second.get(spliced.href));
    expect(answer.status).toBe(400);
    expect(await whoAmI(second)).toBeUndefined();
    expect((await latestAudit('signin.refused')).details).toMatchObject({ reason: 'code-rejected' });
  });

  it('refuses a callback whose PKCE verifier is missing from the session', async () => {
    const client = new BrowserLikeClient();
    const { callbackUrl } = await authorizeAs(client, `${h.url}/auth/signin`, users.admin.oid);
    const state = new URL(callbackUrl).searchParams.get('state')!;
    const rows = await sessionRows();
    const row = rows.find((r) => r.data.includes(state))!;
    const data = JSON.parse(row.data) as { pendingSignIns: Record<string, { codeVerifier?: string }> };
    delete data.pendingSignIns[state]!.codeVerifier;
    await h.db.run('UPDATE sessions SET data = ? WHERE sid = ?', [JSON.stringify(data), row.sid]);

    const answer = await refusalPage(client, await client.get(callbackUrl));
    expect(answer.status).toBe(400);
    expect(await whoAmI(client)).toBeUndefined();
    expect((await latestAudit('signin.refused')).details).toMatchObject({ reason: 'missing-pkce-verifier' });
  });

  it('refuses a code obtained without our PKCE challenge (verifier does not match)', async () => {
    const client = new BrowserLikeClient();
    const authorizeUrl = new URL(await startSignIn(client, `${h.url}/auth/signin`));
    // An attacker's own authorization request with its own challenge, answered to our callback.
    authorizeUrl.searchParams.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const callbackUrl = await pickAccount(client, authorizeUrl.href, users.admin.oid);
    const answer = await refusalPage(client, await client.get(callbackUrl));
    expect(answer.status).toBe(400);
    expect(await whoAmI(client)).toBeUndefined();
    expect((await latestAudit('signin.refused')).details).toMatchObject({ reason: 'code-rejected' });
  });

  it('refuses a callback carrying an error from the tenant (user cancelled)', async () => {
    const client = new BrowserLikeClient();
    const authorizeUrl = await startSignIn(client, `${h.url}/auth/signin`);
    const page = await client.get(authorizeUrl);
    const flow = /name="flow" value="([^"]+)"/.exec(page.body)![1]!;
    const action = /<form method="post" action="([^"]+)"/.exec(page.body)![1]!.replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c)));
    const cancelled = await client.post(action, { flow, cancel: '1' });
    const answer = await refusalPage(client, await client.get(cancelled.location!));
    expect(answer.status).toBe(400);
    expect((await latestAudit('signin.refused')).details).toMatchObject({ reason: 'idp-error', idpError: 'access_denied' });
  });

  it('refuses a flow completed after the flow lifetime', async () => {
    const client = new BrowserLikeClient();
    const { callbackUrl } = await authorizeAs(client, `${h.url}/auth/signin`, users.admin.oid);
    h.advance(601);
    const answer = await refusalPage(client, await client.get(callbackUrl));
    expect(answer.status).toBe(400);
    expect(await whoAmI(client)).toBeUndefined();
  });
});

describe('sign-out clears the session cookie with the attributes it was set with', () => {
  const timeouts = { idleSeconds: 600, absoluteSeconds: 3600 };

  /** Only the session middleware and the sign-in router, as the service mounts them; the tenant is out of reach. */
  async function signInThenOut(publicUrl: string, trustProxy: boolean, headers: Record<string, string>): Promise<{ setAtSignIn: string; clearedAtSignOut: string; rows: number }> {
    const db = await openTestStore(':memory:', 'elevate_signout_cookie');
    try {
      const store = new DatabaseSessionStore({ sql: db, timeouts, now: Date.now });
      const app = express();
      app.set('trust proxy', trustProxy);
      app.use(createSessionMiddleware({ store, secret: 'a-test-secret-of-enough-length-0123456789', publicUrl, trustProxy, timeouts, now: Date.now }));
      const pass: RequestHandler = (_req, _res, next) => next();
      app.post('/sign-in', (req, res) => {
        const at = Math.floor(Date.now() / 1000);
        req.session.user = { oid: 'o', tid: 't', upn: 'ada@contoso.example', name: 'Ada', roles: ['administrator'], authTime: at, signedInAt: at };
        res.sendStatus(204);
      });
      app.use(
        createSignInRouter({
          provider: () => Promise.reject(new Error('tenant unreachable')),
          audit: { append: async () => undefined },
          logger: createLogger('silent'),
          continuations: new SignInContinuations(),
          begin: async () => undefined,
          complete: () => Promise.reject(new Error('not used')),
          signInLimiter: pass,
          csrfProtection: pass,
          exposeUser: pass,
          sessionCookie: sessionCookieSettings(publicUrl, trustProxy),
        }),
      );
      const signIn = await request(app).post('/sign-in').set(headers);
      const setAtSignIn = signIn.headers['set-cookie']?.[0] ?? '';
      const signOut = await request(app).post('/auth/signout').set(headers).set('cookie', setAtSignIn.split(';')[0]!);
      expect(signOut.status).toBe(303);
      const rows = (await db.all<{ sid: string }>('SELECT sid FROM sessions')).length;
      return { setAtSignIn, clearedAtSignOut: signOut.headers['set-cookie']?.[0] ?? '', rows };
    } finally {
      await db.close();
    }
  }

  /** The cookie's name and its attributes other than the value and the expiry. */
  const shape = (header: string) => {
    const [pair, ...attributes] = header.split(';').map((p) => p.trim());
    const kept = attributes.filter((a) => !/^expires=/i.test(a)).sort();
    return { name: pair!.slice(0, pair!.indexOf('=')), attributes: kept };
  };

  it('over https: the __Host- cookie is cleared Secure (a browser ignores a __Host- Set-Cookie without it), HttpOnly, SameSite=Lax, Path=/', async () => {
    const { setAtSignIn, clearedAtSignOut, rows } = await signInThenOut('https://elevate.contoso.example', true, { 'x-forwarded-proto': 'https' });
    expect(rows).toBe(0);
    expect(shape(setAtSignIn).name).toBe('__Host-elevate.sid');
    expect(shape(clearedAtSignOut)).toEqual(shape(setAtSignIn));
    expect(shape(clearedAtSignOut).attributes).toEqual(['HttpOnly', 'Path=/', 'SameSite=Lax', 'Secure']);
    expect(clearedAtSignOut).toMatch(/^__Host-elevate\.sid=;/);
    expect(clearedAtSignOut).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  it('behind a trusted TLS-terminating proxy: Secure when the request came over https, as it was set', async () => {
    const { setAtSignIn, clearedAtSignOut } = await signInThenOut('http://elevate.internal:3000', true, { 'x-forwarded-proto': 'https' });
    expect(shape(setAtSignIn).attributes).toContain('Secure');
    expect(shape(clearedAtSignOut)).toEqual(shape(setAtSignIn));
  });

  it('over plain http: not Secure, otherwise the same attributes', async () => {
    const { setAtSignIn, clearedAtSignOut } = await signInThenOut('http://127.0.0.1:3000', false, {});
    expect(shape(clearedAtSignOut)).toEqual(shape(setAtSignIn));
    expect(shape(clearedAtSignOut).attributes).toEqual(['HttpOnly', 'Path=/', 'SameSite=Lax']);
  });
});
