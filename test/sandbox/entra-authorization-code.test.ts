import { createHash, randomBytes } from 'node:crypto';
import { CryptoProvider } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { completeAuthorize, CookieJar } from '../support/browser-sign-in.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { ELEVATE_REDIRECT_URI, elevateMsalApp, signInWithMsal } from '../support/sandbox-msal.ts';
import { decodeClaims, decodeHeader } from '../support/token-forge.ts';

const s = () => sandboxInfo();
const app = () => s().tenant.elevateApp;

function authorizeUrl(params: Record<string, string | undefined>): string {
  const u = new URL(`${s().browserOrigin}/${s().tenant.tenantId}/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function baseParams(extra: Record<string, string | undefined> = {}) {
  const { challenge } = pkce();
  return {
    client_id: app().clientId,
    response_type: 'code',
    redirect_uri: ELEVATE_REDIRECT_URI,
    scope: `openid profile offline_access ${app().delegatedScope}`,
    state: 'st-1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  };
}

async function redeem(code: string, verifier: string, extra: Record<string, string> = {}) {
  const res = await fetch(`${s().origin}/${s().tenant.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: app().clientId,
      client_secret: app().clientSecret,
      code,
      code_verifier: verifier,
      redirect_uri: ELEVATE_REDIRECT_URI,
      ...extra,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('authorization code + PKCE through MSAL', () => {
  it('signs a work user in and issues Entra-shaped ID and access tokens', async () => {
    const admin = sandboxUser('admin');
    const { result, outcome } = await signInWithMsal(elevateMsalApp(), 'admin', { scopes: [app().delegatedScope] });
    expect(outcome.pageShown).toBe(true);

    const id = decodeClaims(result.idToken);
    expect(id).toMatchObject({
      aud: app().clientId,
      iss: `${s().origin}/${s().tenant.tenantId}/v2.0`,
      tid: s().tenant.tenantId,
      oid: admin.oid,
      preferred_username: admin.upn,
      name: admin.displayName,
      ver: '2.0',
      roles: ['SREAgent.Administrator'],
    });
    expect(typeof id.nonce).toBe('string');
    // optional claims, none configured on a new app registration
    expect(id.auth_time).toBeUndefined();
    expect(id.acct).toBeUndefined();
    expect(typeof id.uti).toBe('string');
    expect(decodeHeader(result.idToken)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(typeof decodeHeader(result.idToken).kid).toBe('string');

    const at = decodeClaims(result.accessToken);
    // Elevate's registration keeps Entra's default access token version (1): the v1 issuer, the
    // App ID URI as audience, appid rather than azp, upn rather than preferred_username.
    expect(at).toMatchObject({
      aud: app().apiAudience,
      iss: `https://sts.windows.net/${s().tenant.tenantId}/`,
      oid: admin.oid,
      tid: s().tenant.tenantId,
      scp: 'user_impersonation',
      appid: app().clientId,
      idtyp: 'user',
      ver: '1.0',
      upn: admin.upn,
      roles: ['SREAgent.Administrator'],
    });
    expect(at.azp).toBeUndefined();
    expect(at.auth_time).toBeUndefined();
    expect(Number(at.exp) - Number(at.iat)).toBeGreaterThan(0);
    expect(result.account?.homeAccountId).toBe(`${admin.oid}.${s().tenant.tenantId}`);
  });

  it('signs an invited personal account in as a guest of the tenant (tid = tenant, idp live.com, home = consumers)', async () => {
    const personal = await signInWithMsal(elevateMsalApp(), 'personal', { scopes: [app().delegatedScope] });
    const p = decodeClaims(personal.result.idToken);
    expect(p.tid).toBe(s().tenant.tenantId);
    expect(p.iss).toBe(`${s().origin}/${s().tenant.tenantId}/v2.0`);
    expect(p.idp).toBe('live.com');
    expect(p.acct).toBeUndefined();
    expect(p.email).toBe(sandboxUser('personal').upn);
    // client_info (MSAL's home account) names the consumers tenant
    expect(personal.result.account?.homeAccountId).toMatch(/^00000000-0000-0000-[0-9a-f]{4}-[0-9a-f]{12}\.9188040d-6c67-4c5b-b112-36a304b66dad$/);
    expect(personal.result.account?.tenantId).toBe(s().tenant.tenantId);
  });

  it('signs a B2B guest in with its home tenant as idp and home account, and no acct by default', async () => {
    const guest = await signInWithMsal(elevateMsalApp(), 'guest', { scopes: [app().delegatedScope] });
    const home = sandboxUser('guest').homeTenantId!;
    for (const token of [guest.result.idToken, guest.result.accessToken]) {
      const g = decodeClaims(token);
      expect(g.tid).toBe(s().tenant.tenantId);
      expect(g.idp).toBe(`https://sts.windows.net/${home}/`);
      expect(g.acct).toBeUndefined();
    }
    expect(decodeClaims(guest.result.accessToken).roles).toEqual(['SREAgent.Administrator']);
    expect(guest.result.account?.homeAccountId.endsWith(`.${home}`)).toBe(true);
    expect(guest.result.account?.homeAccountId.startsWith(sandboxUser('guest').oid)).toBe(false);
  });

  it('refuses an uninvited personal account on its own page (AADSTS50020); nothing reaches the app', async () => {
    const uninvited = sandboxUser('uninvited');
    expect(uninvited).toMatchObject({ kind: 'personal', invited: false, appRoles: [] });
    const out = await completeAuthorize(authorizeUrl(baseParams()), { user: 'uninvited' });
    expect(out.code).toBeUndefined();
    expect(out.redirect).toBeUndefined();
    expect(out.errorPage?.status).toBe(400);
    expect(out.errorPage?.text).toContain('AADSTS50020');
    expect(out.errorPage?.text).toMatch(/uma\.uninvited@outlook\.com.{0,10} from identity provider .{0,10}live\.com/);
  });

  it('completes silently from the SSO session, honours login_hint, prompt=login and max_age', async () => {
    const jar = new CookieJar();
    const first = await signInWithMsal(elevateMsalApp(), 'standard', { scopes: ['openid'], jar });
    expect(first.outcome.pageShown).toBe(true);
    expect(jar.size).toBe(1);

    const silent = await signInWithMsal(elevateMsalApp(), 'standard', { scopes: ['openid'], jar });
    expect(silent.outcome.pageShown).toBe(false);
    // the same Entra session answered it
    expect(decodeClaims(silent.result.idToken).sid).toBe(decodeClaims(first.result.idToken).sid);

    const forced = await signInWithMsal(elevateMsalApp(), 'standard', { scopes: ['openid'], jar, prompt: 'login' });
    expect(forced.outcome.pageShown).toBe(true);

    // a hint naming someone else than the session's user needs the page
    const other = await signInWithMsal(elevateMsalApp(), 'reader', { scopes: ['openid'], jar, loginHint: sandboxUser('reader').upn });
    expect(other.outcome.pageShown).toBe(true);
    expect(other.outcome.pageHtml!.indexOf(sandboxUser('reader').upn)).toBeLessThan(other.outcome.pageHtml!.indexOf(sandboxUser('admin').upn));
    expect(decodeClaims(other.result.idToken).oid).toBe(sandboxUser('reader').oid);

    // max_age=0: any existing sign-in is too old
    const fresh = await signInWithMsal(elevateMsalApp(), 'reader', { scopes: ['openid'], jar, extraQueryParameters: { max_age: '0' } });
    expect(fresh.outcome.pageShown).toBe(true);
  });

  it('answers prompt=none with login_required when there is no session', async () => {
    const out = await completeAuthorize(authorizeUrl(baseParams({ prompt: 'none' })));
    expect(out.error).toBe('login_required');
    expect(out.errorDescription).toMatch(/^AADSTS50058:/);
    expect(out.state).toBe('st-1');
  });

  it('redeems a code once, only with its verifier, client and redirect URI', async () => {
    const p = pkce();
    const out = await completeAuthorize(authorizeUrl(baseParams({ code_challenge: p.challenge, nonce: 'n-42' })), { user: 'admin2' });
    expect(out.code).toBeDefined();

    const wrong = await redeem(out.code!, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect(wrong.body.error_codes).toEqual([501481]);

    // the failed attempt spent the code: the right verifier no longer helps
    const again = await redeem(out.code!, p.verifier);
    expect(again.body.error_codes).toEqual([54005]);

    const p2 = pkce();
    const out2 = await completeAuthorize(authorizeUrl(baseParams({ code_challenge: p2.challenge, nonce: 'n-43' })), { user: 'admin2' });
    const badRedirect = await redeem(out2.code!, p2.verifier, { redirect_uri: 'http://localhost:3000/other' });
    expect(badRedirect.body.error_codes).toEqual([50011]);

    const p3 = pkce();
    const out3 = await completeAuthorize(authorizeUrl(baseParams({ code_challenge: p3.challenge, nonce: 'n-44' })), { user: 'admin2' });
    const ok = await redeem(out3.code!, p3.verifier, { client_info: '1' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', scope: `${app().delegatedScope} openid profile` });
    expect(typeof ok.body.refresh_token).toBe('string');
    expect(decodeClaims(String(ok.body.id_token)).nonce).toBe('n-44');
    expect(JSON.parse(Buffer.from(String(ok.body.client_info), 'base64url').toString())).toEqual({ uid: sandboxUser('admin2').oid, utid: s().tenant.tenantId });
    const reused = await redeem(out3.code!, p3.verifier);
    expect(reused.body.error_codes).toEqual([54005]);

    // a code is bound to its client: another app cannot redeem it
    const p4 = pkce();
    const out4 = await completeAuthorize(authorizeUrl(baseParams({ code_challenge: p4.challenge })), { user: 'admin2' });
    const dashboard = s().tenant.otherApps.find((a) => a.key === 'dashboard')!;
    const stolen = await redeem(out4.code!, p4.verifier, { client_id: dashboard.clientId, client_secret: dashboard.clientSecret! });
    expect(stolen.body.error).toBe('invalid_grant');
    expect(stolen.body.error_codes).toEqual([70000]);
  });

  it('requires S256 PKCE and a registered redirect URI, and validates the rest before redirecting', async () => {
    const noPkce = await completeAuthorize(authorizeUrl({ ...baseParams(), code_challenge: undefined, code_challenge_method: undefined }));
    expect(noPkce.error).toBe('invalid_request');
    expect(noPkce.errorDescription).toMatch(/^AADSTS9002325:/);
    const plain = await completeAuthorize(authorizeUrl(baseParams({ code_challenge_method: 'plain' })));
    expect(plain.error).toBe('invalid_request');

    const unregistered = await completeAuthorize(authorizeUrl(baseParams({ redirect_uri: 'https://attacker.example/callback' })));
    expect(unregistered.redirect).toBeUndefined();
    expect(unregistered.errorPage?.status).toBe(400);
    expect(unregistered.errorPage?.text).toContain('AADSTS50011');

    // loopback redirect URIs match on any port, as in Entra
    const otherPort = await completeAuthorize(authorizeUrl(baseParams({ redirect_uri: 'http://127.0.0.1:51234/auth/callback' })));
    expect(otherPort.pageShown).toBe(true);

    const unknownClient = await completeAuthorize(authorizeUrl(baseParams({ client_id: '11111111-2222-3333-4444-555555555555' })));
    expect(unknownClient.errorPage?.text).toContain('AADSTS700016');

    const badScope = await completeAuthorize(authorizeUrl(baseParams({ scope: 'openid https://vault.example.com/.default' })));
    expect(badScope.error).toBe('invalid_resource');
    expect(badScope.errorDescription).toMatch(/^AADSTS500011:/);

    const implicit = await completeAuthorize(authorizeUrl(baseParams({ response_type: 'token' })));
    expect(implicit.error).toBe('unsupported_response_type');
  });

  it('reports a cancelled sign-in to the app with access_denied', async () => {
    const out = await completeAuthorize(authorizeUrl(baseParams()), { cancel: true });
    expect(out.error).toBe('access_denied');
    expect(out.state).toBe('st-1');
  });

  it('asks for consent an app does not have (dashboard -> ARM)', async () => {
    const dashboard = s().tenant.otherApps.find((a) => a.key === 'dashboard')!;
    const out = await completeAuthorize(
      authorizeUrl(baseParams({ client_id: dashboard.clientId, redirect_uri: 'http://localhost/callback', scope: 'openid https://management.azure.com/user_impersonation' })),
    );
    expect(out.error).toBe('consent_required');
    expect(out.errorDescription).toMatch(/^AADSTS65001:/);
  });

  it('supports response_mode=form_post', async () => {
    const out = await completeAuthorize(authorizeUrl(baseParams({ response_mode: 'form_post' })), { user: 'auditor' });
    expect(out.formPost?.action).toBe(ELEVATE_REDIRECT_URI);
    expect(out.formPost?.fields.state).toBe('st-1');
    expect(out.code).toBeDefined();
  });

  it('renews tokens with the refresh token for another consented resource, keeping the session', async () => {
    const cca = elevateMsalApp();
    const { result } = await signInWithMsal(cca, 'admin', { scopes: [app().delegatedScope] });
    const tokenCache = JSON.parse(cca.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    const rt = Object.values(tokenCache.RefreshToken)[0]!.secret;
    const arm = await cca.acquireTokenByRefreshToken({ refreshToken: rt, scopes: ['https://management.azure.com/user_impersonation'] });
    const claims = decodeClaims(arm!.accessToken);
    expect(claims).toMatchObject({ aud: 'https://management.azure.com/', iss: `https://sts.windows.net/${s().tenant.tenantId}/`, appid: app().clientId, scp: 'user_impersonation', ver: '1.0' });
    expect(claims.sid).toBe(decodeClaims(result.accessToken).sid);
    expect(typeof claims.auth_time).toBe('number');
  });

  it('escapes everything it renders on the sign-in page', async () => {
    const hostile = '"><script>alert(1)</script>';
    const out = await completeAuthorize(authorizeUrl(baseParams({ login_hint: hostile, state: hostile })));
    expect(out.pageShown).toBe(true);
    expect(out.pageHtml).not.toContain('<script>');
    const csp = await fetch(authorizeUrl(baseParams())).then((r) => r.headers.get('content-security-policy'));
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
  });

  it('signs out: redirects only to a registered post-logout URI and ends the SSO session', async () => {
    const jar = new CookieJar();
    const { result } = await signInWithMsal(elevateMsalApp(), 'auditor', { scopes: ['openid'], jar });
    const logoutBase = `${s().browserOrigin}/${s().tenant.tenantId}/oauth2/v2.0/logout`;
    const unregistered = await fetch(`${logoutBase}?post_logout_redirect_uri=${encodeURIComponent('https://attacker.example/')}&client_id=${app().clientId}`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    });
    expect(unregistered.status).toBe(200);
    const res = await fetch(`${logoutBase}?post_logout_redirect_uri=${encodeURIComponent('http://localhost:3000/auth/signed-out')}&id_token_hint=${result.idToken}&state=bye`, {
      redirect: 'manual',
      headers: { cookie: jar.header() },
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://localhost:3000/auth/signed-out?state=bye');
    jar.store(res);
    const after = await completeAuthorize(authorizeUrl(baseParams({ prompt: 'none' })), { jar });
    expect(after.error).toBe('login_required');
  });

  it('discovery points the browser at the http origin and SDKs at https', async () => {
    const cfg = (await (await fetch(`${s().origin}/${s().tenant.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(cfg.authorization_endpoint).toBe(`${s().browserOrigin}/${s().tenant.tenantId}/oauth2/v2.0/authorize`);
    expect(cfg.token_endpoint).toBe(`${s().origin}/${s().tenant.tenantId}/oauth2/v2.0/token`);
    expect(cfg.jwks_uri).toBe(`${s().origin}/${s().tenant.tenantId}/discovery/v2.0/keys`);
    const unknown = await fetch(`${s().origin}/00000000-1111-2222-3333-444444444444/v2.0/.well-known/openid-configuration`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error_codes: number[] }).error_codes).toEqual([90002]);
    expect(new CryptoProvider()).toBeDefined();
  });
});
