import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { completeAuthorize } from '../support/browser-sign-in.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { seedFile, withElevateOptionalClaims } from '../support/seed-variants.ts';
import { decodeClaims } from '../support/token-forge.ts';

/**
 * A tenant whose administrator added the optional claims auth_time and acct to Elevate's app
 * registration (Token configuration), for ID and access tokens: Entra then sends them. The
 * default (no optional claims) is covered by entra-authorization-code and openid-client tests.
 * https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
 */
let sandbox: SandboxHandle;
beforeAll(async () => {
  sandbox = await startPrivateSandbox({
    seedFile: seedFile((seed) => withElevateOptionalClaims(seed, { idToken: ['auth_time', 'acct'], accessToken: ['auth_time', 'acct'] })),
  });
});
afterAll(async () => {
  await sandbox?.close();
});

async function signIn(user: string, extra: Record<string, string> = {}) {
  const app = sandbox.tenant.elevateApp;
  const config = await oidc.discovery(new URL(`${sandbox.origin}/${sandbox.tenant.tenantId}/v2.0`), app.clientId, app.clientSecret);
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const url = new URL(config.serverMetadata().authorization_endpoint!);
  const params = {
    client_id: app.clientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:3000/auth/callback', scope: `openid profile ${app.delegatedScope}`,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', nonce, ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const started = Math.floor(Date.now() / 1000);
  const outcome = await completeAuthorize(url.href, { user });
  const tokens = await oidc.authorizationCodeGrant(config, outcome.redirect!, { pkceCodeVerifier: verifier, expectedNonce: nonce, ...(extra.max_age ? { maxAge: Number(extra.max_age) } : {}) });
  return { id: tokens.claims()!, access: decodeClaims(tokens.access_token), started };
}

describe('optional claims configured on the app registration', () => {
  it('adds auth_time and acct = 0 for a member, in the ID token and the access token for Elevate', async () => {
    const { id, access, started } = await signIn('admin');
    expect(id.auth_time).toBeGreaterThanOrEqual(started - 1);
    expect(id.acct).toBe(0);
    expect(access).toMatchObject({ auth_time: id.auth_time, acct: 0 });
  });

  it('adds acct = 1 for a guest and for a personal account invited as a guest', async () => {
    for (const user of ['guest', 'personal']) {
      const { id, access } = await signIn(user);
      expect(id.acct).toBe(1);
      expect(access.acct).toBe(1);
    }
  });

  it('makes max_age usable with openid-client, which then checks auth_time', async () => {
    const { id } = await signIn('admin2', { max_age: '300' });
    expect(typeof id.auth_time).toBe('number');
  });
});
