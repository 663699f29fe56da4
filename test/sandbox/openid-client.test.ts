import * as oidc from 'openid-client';
import { describe, expect, it } from 'vitest';
import { completeAuthorize } from '../support/browser-sign-in.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { decodeClaims } from '../support/token-forge.ts';

const s = () => sandboxInfo();
const app = () => s().tenant.elevateApp;
const REDIRECT = 'http://127.0.0.1:3000/auth/callback';

/**
 * openid-client refuses to build URLs for a plain-http endpoint, and the sandbox's authorize
 * endpoint is plain http on loopback (only a browser visits it), so the browser URL is built from
 * the discovered authorization_endpoint; every back-channel call (token, refresh) stays https.
 */
function authorizationUrl(config: oidc.Configuration, params: Record<string, string>): URL {
  const url = new URL(config.serverMetadata().authorization_endpoint!);
  url.searchParams.set('client_id', config.clientMetadata().client_id);
  url.searchParams.set('response_type', 'code');
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
}

async function configuration(): Promise<oidc.Configuration> {
  // the same call as for Entra: the issuer URL of the tenant; fetch trusts the sandbox CA through NODE_EXTRA_CA_CERTS
  return oidc.discovery(new URL(`${s().origin}/${s().tenant.tenantId}/v2.0`), app().clientId, app().clientSecret);
}

describe('openid-client 6 against the sandbox', () => {
  it('discovers the tenant', async () => {
    const config = await configuration();
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(`${s().origin}/${s().tenant.tenantId}/v2.0`);
    expect(meta.authorization_endpoint).toBe(`${s().browserOrigin}/${s().tenant.tenantId}/oauth2/v2.0/authorize`);
    // Entra publishes no code_challenge_methods_supported (nor grant_types_supported), yet
    // requires PKCE for this flow; openid-client's hint therefore says false
    expect(meta.supportsPKCE()).toBe(false);
    expect(meta.code_challenge_methods_supported).toBeUndefined();
    expect(meta.userinfo_endpoint).toBe(`${s().origin}/oidc/userinfo`);
    // and why the browser URL is built by hand: openid-client only builds https endpoints
    expect(() => oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid' })).toThrow(/HTTPS/);
  });

  async function authorize(user: string, extra: Record<string, string> = {}) {
    const config = await configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = authorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: `openid profile offline_access ${app().delegatedScope}`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    const outcome = await completeAuthorize(url.href, { user });
    expect(outcome.redirect?.origin).toBe('http://127.0.0.1:3000');
    return { config, verifier, state, nonce, redirect: outcome.redirect! };
  }

  it('runs the code flow with PKCE, nonce and state, then refreshes; the ID token has no auth_time by default', async () => {
    const { config, verifier, state, nonce, redirect } = await authorize('admin2');
    const tokens = await oidc.authorizationCodeGrant(config, redirect, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ oid: sandboxUser('admin2').oid, nonce, aud: app().clientId, roles: ['SREAgent.Administrator'] });
    expect(claims.auth_time).toBeUndefined();
    expect(decodeClaims(tokens.access_token)).toMatchObject({ aud: app().apiAudience, scp: 'user_impersonation', ver: '1.0' });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'https://management.azure.com/user_impersonation' });
    expect(decodeClaims(refreshed.access_token)).toMatchObject({ aud: 'https://management.azure.com/', oid: sandboxUser('admin2').oid });
  });

  it('with max_age, openid-client requires auth_time, which a tenant without the optional claim does not send', async () => {
    // why Elevate's fresh sign-in sends prompt=login and no max_age
    const { config, verifier, state, nonce, redirect } = await authorize('admin2', { max_age: '300' });
    await expect(oidc.authorizationCodeGrant(config, redirect, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, maxAge: 300 })).rejects.toMatchObject({
      cause: expect.objectContaining({ message: expect.stringMatching(/auth_time/) }),
    });
  });

  it('returns client_info (the home account) when asked, and userinfo for a Graph token', async () => {
    const { config, verifier, state, nonce, redirect } = await authorize('guest');
    const tokens = await oidc.authorizationCodeGrant(config, redirect, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }, { client_info: '1' });
    const info = JSON.parse(Buffer.from(String(tokens.client_info), 'base64url').toString()) as { uid: string; utid: string };
    expect(info.utid).toBe(sandboxUser('guest').homeTenantId);
    expect(info.uid).not.toBe(sandboxUser('guest').oid);

    // a sign-in with only OpenID scopes gets a Graph token, which the userinfo endpoint takes
    const plain = await authorize('admin2', { scope: 'openid profile' });
    const graph = await oidc.authorizationCodeGrant(plain.config, plain.redirect, { pkceCodeVerifier: plain.verifier, expectedState: plain.state, expectedNonce: plain.nonce });
    const sub = graph.claims()!.sub;
    const userinfo = await oidc.fetchUserInfo(plain.config, graph.access_token, sub);
    expect(userinfo).toMatchObject({ sub, name: sandboxUser('admin2').displayName });
    // Elevate's own API token is not a Graph token: refused
    await expect(oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck)).rejects.toBeDefined();
  });

  it('rejects a callback whose state was tampered with', async () => {
    const config = await configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = authorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'expected-state',
    });
    const outcome = await completeAuthorize(url.href, { user: 'reader' });
    const forged = new URL(outcome.redirect!);
    forged.searchParams.set('state', 'attacker-state');
    await expect(oidc.authorizationCodeGrant(config, forged, { pkceCodeVerifier: verifier, expectedState: 'expected-state' })).rejects.toMatchObject({ cause: expect.objectContaining({ message: expect.stringMatching(/state/) }) });
  });
});
