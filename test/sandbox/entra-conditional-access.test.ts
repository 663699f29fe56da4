/**
 * Conditional Access in the sandbox's Entra, through MSAL as against a tenant: none by default;
 * with a policy requiring MFA for Azure Resource Manager, the on-behalf-of exchange of a token from
 * a sign-in without MFA answers Entra's claims challenge (the body a tenant sends, which MSAL turns
 * into an InteractionRequiredAuthError carrying `claims`), and a sign-in that carries that claims
 * request performs MFA, after which the exchange succeeds. Authentication contexts (`acrs`) and a
 * policy the sign-in cannot satisfy too.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow#error-response-example
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 */
import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication, CryptoProvider, InteractionRequiredAuthError, LogLevel } from '@azure/msal-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mapMsalError } from '../../src/azure/obo-error.ts';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { completeAuthorize, CookieJar } from '../support/browser-sign-in.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { ARM_APP_ID, deletePolicy, putMfaPolicy } from '../support/sandbox-conditional-access.ts';
import { decodeClaims } from '../support/token-forge.ts';

const ARM_SCOPES = ['https://management.azure.com/user_impersonation'];
const REDIRECT_URI = 'http://localhost:3000/auth/callback';
let sandbox: SandboxHandle;
const policies: string[] = [];

beforeAll(async () => {
  sandbox = await startPrivateSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});
afterEach(async () => {
  for (const id of policies.splice(0)) await deletePolicy(sandbox.origin, id);
});

const oid = (key: string) => sandbox.tenant.users.find((u) => u.key === key)!.oid;
const elevate = () => sandbox.tenant.elevateApp;

function msalApp(): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: { clientId: elevate().clientId, clientSecret: elevate().clientSecret, authority: `${sandbox.authorityHost}/${sandbox.tenant.tenantId}`, knownAuthorities: [new URL(sandbox.authorityHost).host] },
    system: { loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined } },
  });
}

async function requireMfa(p: Parameters<typeof putMfaPolicy>[1]): Promise<string> {
  policies.push(p.id);
  const res = await putMfaPolicy(sandbox.origin, p);
  expect(res.status, await res.clone().text()).toBe(200);
  return p.id;
}

/** A fresh interactive sign-in for Elevate's API through MSAL (getAuthCodeUrl, the sign-in page, acquireTokenByCode). */
async function signIn(user: string, opts: { claims?: string; jar?: CookieJar; prompt?: string } = {}) {
  const app = msalApp();
  const pkce = await new CryptoProvider().generatePkceCodes();
  const state = randomUUID();
  const url = await app.getAuthCodeUrl({
    scopes: [elevate().delegatedScope],
    redirectUri: REDIRECT_URI,
    codeChallenge: pkce.challenge,
    codeChallengeMethod: 'S256',
    state,
    prompt: opts.prompt ?? 'login',
    ...(opts.claims ? { claims: opts.claims } : {}),
  });
  const outcome = await completeAuthorize(url, { user, ...(opts.jar ? { jar: opts.jar } : {}) });
  if (!outcome.code) return { url: new URL(url), outcome, accessToken: undefined };
  const result = await app.acquireTokenByCode({ code: outcome.code, scopes: [elevate().delegatedScope], redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier, state }, { code: outcome.code, state: outcome.state ?? '' });
  return { url: new URL(url), outcome, accessToken: result.accessToken, app, account: result.account };
}

const exchange = (assertion: string) => msalApp().acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: ARM_SCOPES, skipCache: true });
const refused = (assertion: string) => exchange(assertion).then(() => undefined, (e: unknown) => e);

async function rawExchange(assertion: string, correlationId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.origin}/${sandbox.tenant.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'client-request-id': correlationId },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      client_id: elevate().clientId,
      client_secret: elevate().clientSecret,
      assertion,
      scope: ARM_SCOPES[0]!,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('Conditional Access in the sandbox Entra', { timeout: 30_000 }, () => {
  it('has no policy by default (a new tenant): a sign-in is password only and the exchange works', async () => {
    const res = await fetch(`${sandbox.origin}/_sandbox/conditional-access/policies`);
    expect(await res.json()).toEqual({ value: [] });
    const { accessToken } = await signIn('admin');
    // A v1 token says how the user signed in: no MFA was asked for, so none is claimed.
    expect(decodeClaims(accessToken!)).toMatchObject({ amr: ['pwd'] });
    expect(decodeClaims(accessToken!).acrs).toBeUndefined();
    const arm = await exchange(accessToken!);
    expect(decodeClaims(arm!.accessToken)).toMatchObject({ aud: 'https://management.azure.com/', oid: oid('admin'), amr: ['pwd'] });
  });

  it("answers the exchange with Entra's claims challenge body when the sign-in did not satisfy the policy (AADSTS50076, MFA method registered)", async () => {
    const policy = await requireMfa({ id: randomUUID(), users: [oid('admin')] });
    const { accessToken } = await signIn('admin');
    const correlationId = randomUUID();
    const { status, body } = await rawExchange(accessToken!, correlationId);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_grant', suberror: 'basic_action', error_codes: [50076], correlation_id: correlationId });
    expect(String(body.error_description)).toMatch(
      new RegExp(`^AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${ARM_APP_ID}'\\.\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: ${correlationId}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`, 's'),
    );
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof body.claims).toBe('string');
    expect(JSON.parse(String(body.claims))).toEqual({ access_token: { capolids: { essential: true, values: [policy] } } });
    expect(body.access_token).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain(accessToken!.split('.')[2]);
  });

  it('reaches the app through MSAL as an InteractionRequiredAuthError with the claims, which Elevate maps to a sign-in with them', async () => {
    const policy = await requireMfa({ id: randomUUID(), users: [oid('admin')] });
    const { accessToken } = await signIn('admin');
    const err = await refused(accessToken!);
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    const e = err as InteractionRequiredAuthError;
    expect(e).toMatchObject({ errorCode: 'invalid_grant', subError: 'basic_action' });
    expect(String(e.errorNo)).toBe('50076');
    expect(JSON.parse(e.claims)).toEqual({ access_token: { capolids: { essential: true, values: [policy] } } });
    const mapped = mapMsalError(err);
    expect(mapped).toMatchObject({ code: 'interaction_required', aadsts: '50076', claims: e.claims });
  });

  it('answers AADSTS50079 (interaction_required, the documented example) for a user with no MFA method, who registers during the sign-in that satisfies it', async () => {
    const policy = await requireMfa({ id: randomUUID(), users: [oid('reader')] });
    const first = await signIn('reader');
    const err = (await refused(first.accessToken!)) as InteractionRequiredAuthError;
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(err).toMatchObject({ errorCode: 'interaction_required', subError: '' });
    expect(err.errorMessage).toMatch(/^AADSTS50079: .*you must enroll in multifactor authentication to access '797f4846-ba00-4fd7-ba43-dac1f8f63013'/s);
    expect(mapMsalError(err)).toMatchObject({ code: 'interaction_required', aadsts: '50079', claims: err.claims });

    const stepped = await signIn('reader', { claims: err.claims });
    expect(decodeClaims(stepped.accessToken!)).toMatchObject({ amr: ['pwd', 'mfa'] });
    expect(decodeClaims((await exchange(stepped.accessToken!))!.accessToken)).toMatchObject({ oid: oid('reader'), amr: ['pwd', 'mfa'] });
    // Registered now: the next sign-in without MFA is told to use it, no longer to enroll.
    const again = (await refused((await signIn('reader')).accessToken!)) as InteractionRequiredAuthError;
    expect(String(again.errorNo)).toBe('50076');
    expect(JSON.parse(again.claims).access_token.capolids.values).toEqual([policy]);
  });

  it('performs MFA on a sign-in that carries the claims challenge; its tokens pass the exchange', async () => {
    await requireMfa({ id: randomUUID(), users: [oid('admin2')] });
    const err = (await refused((await signIn('admin2')).accessToken!)) as InteractionRequiredAuthError;
    const stepped = await signIn('admin2', { claims: err.claims });
    // MSAL merges the challenge into its own claims request (adding id_token members of its own).
    expect(JSON.parse(stepped.url.searchParams.get('claims')!).access_token).toEqual(JSON.parse(err.claims).access_token);
    expect(decodeClaims(stepped.accessToken!)).toMatchObject({ oid: oid('admin2'), amr: ['pwd', 'mfa'] });
    const arm = await exchange(stepped.accessToken!);
    expect(decodeClaims(arm!.accessToken)).toMatchObject({ aud: 'https://management.azure.com/', oid: oid('admin2'), amr: ['pwd', 'mfa'], sid: decodeClaims(stepped.accessToken!).sid });
    // A later sign-in without the claims request asks for the password only, and is challenged again.
    expect(await refused((await signIn('admin2')).accessToken!)).toBeInstanceOf(InteractionRequiredAuthError);
  });

  it('evaluates the policy at every token issuance: the refresh token of a password-only sign-in gets no ARM token', async () => {
    const policy = await requireMfa({ id: randomUUID(), users: [oid('admin')] });
    const { app, account } = await signIn('admin');
    const err = await app!.acquireTokenSilent({ account: account!, scopes: ARM_SCOPES, forceRefresh: true }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(JSON.parse((err as InteractionRequiredAuthError).claims).access_token.capolids.values).toEqual([policy]);
  });

  it('does not complete a claims request silently from a session without MFA, and answers prompt=none with interaction_required', async () => {
    await requireMfa({ id: randomUUID(), users: [oid('admin')] });
    const jar = new CookieJar();
    const plain = await signIn('admin', { jar });
    const err = (await refused(plain.accessToken!)) as InteractionRequiredAuthError;
    const silent = await signIn('admin', { jar, prompt: 'none', claims: err.claims });
    expect(silent.accessToken).toBeUndefined();
    expect(silent.outcome.error).toBe('interaction_required');
    expect(silent.outcome.errorDescription).toMatch(/^AADSTS50076: /);
    // Without prompt the sign-in page is shown again (no SSO shortcut past the MFA).
    const shown = await completeAuthorize((await signInUrl(err.claims)).href, { jar });
    expect(shown.pageShown).toBe(true);
    expect(shown.code).toBeUndefined();
  });

  it('satisfies an authentication context asked for in a claims request: acrs in the access token, MFA where a policy targets it', async () => {
    await requireMfa({ id: randomUUID(), users: ['All'], authenticationContexts: ['c1'] });
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } });
    const { accessToken } = await signIn('admin', { claims });
    expect(decodeClaims(accessToken!)).toMatchObject({ acrs: ['c1'], amr: ['pwd', 'mfa'] });
    // No policy on ARM here; the exchanged token keeps what the sign-in established.
    expect(decodeClaims((await exchange(accessToken!))!.accessToken)).toMatchObject({ acrs: ['c1'], amr: ['pwd', 'mfa'] });
    expect(decodeClaims((await signIn('admin')).accessToken!).acrs).toBeUndefined();
  });

  it('keeps challenging when the sign-in cannot establish the control (satisfiedBySignIn: false)', async () => {
    await requireMfa({ id: randomUUID(), users: [oid('admin')], satisfiedBySignIn: false });
    const err = (await refused((await signIn('admin')).accessToken!)) as InteractionRequiredAuthError;
    const stepped = await signIn('admin', { claims: err.claims });
    expect(decodeClaims(stepped.accessToken!)).toMatchObject({ amr: ['pwd'] });
    const again = (await refused(stepped.accessToken!)) as InteractionRequiredAuthError;
    expect(again).toBeInstanceOf(InteractionRequiredAuthError);
    expect(again.claims).toBe(err.claims);
  });

  it('enforces only enabled policies, for the users they include', async () => {
    await requireMfa({ id: randomUUID(), users: [oid('admin')], state: 'enabledForReportingButNotEnforced' });
    await requireMfa({ id: randomUUID(), users: [oid('admin2')], state: 'disabled' });
    await requireMfa({ id: randomUUID(), users: [oid('reader')] });
    for (const key of ['admin', 'admin2', 'standard']) expect(await exchange((await signIn(key)).accessToken!)).toBeTruthy();
  });

  it('takes policies through the admin API: guarded, validated, removable', async () => {
    const id = randomUUID();
    const unguarded = await fetch(`${sandbox.origin}/_sandbox/conditional-access/policies/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(unguarded.status).toBe(403);
    const bad = await fetch(`${sandbox.origin}/_sandbox/conditional-access/policies/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-sandbox-admin': 'true' },
      body: JSON.stringify({ displayName: 'x', conditions: { users: { includeUsers: ['All'] }, applications: {} }, grantControls: { builtInControls: ['mfa'] } }),
    });
    expect(bad.status).toBe(400);
    await requireMfa({ id, users: [oid('admin')] });
    const { accessToken } = await signIn('admin');
    expect(await refused(accessToken!)).toBeInstanceOf(InteractionRequiredAuthError);
    expect((await deletePolicy(sandbox.origin, id)).status).toBe(204);
    // The same token passes once the policy is gone: Entra evaluates policies at each request.
    expect(await exchange(accessToken!)).toBeTruthy();
  });

  it('refuses a claims parameter that is not a JSON object, at the redirect URI', async () => {
    // MSAL will not send one; a hand-made request can.
    const url = await signInUrl('{}');
    url.searchParams.set('claims', '{not json');
    const outcome = await completeAuthorize(url.href, { user: 'admin' });
    expect(outcome.error).toBe('invalid_request');
    expect(outcome.errorDescription).toContain("'claims'");
  });
});

async function signInUrl(claims: string): Promise<URL> {
  const pkce = await new CryptoProvider().generatePkceCodes();
  return new URL(await msalApp().getAuthCodeUrl({ scopes: [elevate().delegatedScope], redirectUri: REDIRECT_URI, codeChallenge: pkce.challenge, codeChallengeMethod: 'S256', claims }));
}
