import { ManagedIdentityCredential } from '@azure/identity';
import { AuthError, ConfidentialClientApplication, InteractionRequiredAuthError } from '@azure/msal-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { elevateMsalApp, sandboxMsalConfig, signInWithMsal, userTokenForElevate } from '../support/sandbox-msal.ts';
import { decodeClaims, forgeSandboxToken, forgeWithForeignKey, tamperSignature } from '../support/token-forge.ts';

const ARM_SCOPES = ['https://management.azure.com/user_impersonation'];
const s = () => sandboxInfo();
const app = () => s().tenant.elevateApp;
const dashboard = () => s().tenant.otherApps.find((a) => a.key === 'dashboard')!;

/** Runs an OBO exchange through MSAL and returns the AADSTS code it was refused with. */
async function refusedWith(cca: ConfidentialClientApplication, assertion: string): Promise<{ code: string; error: string; message: string }> {
  const err = await cca.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: ARM_SCOPES, skipCache: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  const e = err as AuthError;
  const code = /AADSTS(\d+)/.exec(e.errorMessage)?.[1] ?? '';
  return { code, error: e.errorCode, message: e.errorMessage };
}

describe('on-behalf-of through MSAL acquireTokenOnBehalfOf', () => {
  let adminToken: string;
  beforeAll(async () => {
    adminToken = await userTokenForElevate('admin');
  });

  it('exchanges a user token for Elevate into an ARM token for the same user', async () => {
    const admin = sandboxUser('admin');
    const result = await elevateMsalApp().acquireTokenOnBehalfOf({ oboAssertion: adminToken, scopes: ARM_SCOPES, skipCache: true });
    expect(result).not.toBeNull();
    const claims = decodeClaims(result!.accessToken);
    expect(claims).toMatchObject({
      aud: 'https://management.azure.com/',
      iss: `https://sts.windows.net/${s().tenant.tenantId}/`,
      tid: s().tenant.tenantId,
      oid: admin.oid,
      upn: admin.upn,
      appid: app().clientId,
      appidacr: '1',
      idtyp: 'user',
      scp: 'user_impersonation',
      ver: '1.0',
    });
    // the same sign-in session; its time (the assertion's iat without auth_time) carries over
    expect(claims.sid).toBe(decodeClaims(adminToken).sid);
    expect(claims.auth_time).toBe(decodeClaims(adminToken).iat);
    expect(claims.roles).toBeUndefined();
  });

  it('works for a guest of the tenant', async () => {
    const guestToken = await userTokenForElevate('guest');
    const result = await elevateMsalApp().acquireTokenOnBehalfOf({ oboAssertion: guestToken, scopes: ARM_SCOPES, skipCache: true });
    expect(decodeClaims(result!.accessToken)).toMatchObject({ oid: sandboxUser('guest').oid, idp: `https://sts.windows.net/${sandboxUser('guest').homeTenantId}/` });
  });

  it('works for a personal account invited as a guest, as in Entra (refusing it is the app\'s decision)', async () => {
    const personalToken = await userTokenForElevate('personal');
    expect(decodeClaims(personalToken).roles).toEqual(['SREAgent.Administrator']);
    const result = await elevateMsalApp().acquireTokenOnBehalfOf({ oboAssertion: personalToken, scopes: ARM_SCOPES, skipCache: true });
    expect(decodeClaims(result!.accessToken)).toMatchObject({ oid: sandboxUser('personal').oid, tid: s().tenant.tenantId, idp: 'live.com', unique_name: `live.com#${sandboxUser('personal').upn}` });
  });

  it('refuses an assertion issued for another audience (AADSTS50013)', async () => {
    const cca = new ConfidentialClientApplication(sandboxMsalConfig({ clientId: dashboard().clientId, clientSecret: dashboard().clientSecret! }));
    const { result } = await signInWithMsal(cca, 'admin', { scopes: [`api://${dashboard().clientId}/user_impersonation`], redirectUri: 'http://localhost/callback' });
    const r = await refusedWith(elevateMsalApp(), result.accessToken);
    expect(r.error).toBe('invalid_grant');
    expect(r.code).toBe('50013');
    expect(r.message).toContain('Assertion audience does not match');
  });

  it('refuses an ARM token presented back as the assertion (wrong audience)', async () => {
    const arm = await elevateMsalApp().acquireTokenOnBehalfOf({ oboAssertion: adminToken, scopes: ARM_SCOPES, skipCache: true });
    expect((await refusedWith(elevateMsalApp(), arm!.accessToken)).code).toBe('50013');
  });

  it('refuses an expired assertion (AADSTS500133)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await forgeSandboxToken({ ...decodeClaims(adminToken), iat: now - 7200, nbf: now - 7200, exp: now - 60 });
    const r = await refusedWith(elevateMsalApp(), expired);
    expect(r.error).toBe('invalid_grant');
    expect(r.code).toBe('500133');
  });

  it('refuses a tampered or foreign-signed assertion (AADSTS50013 signature)', async () => {
    expect((await refusedWith(elevateMsalApp(), tamperSignature(adminToken))).code).toBe('50013');
    const kid = JSON.parse(Buffer.from(adminToken.split('.')[0]!, 'base64url').toString()).kid as string;
    const foreign = await forgeWithForeignKey(decodeClaims(adminToken), kid);
    const r = await refusedWith(elevateMsalApp(), foreign);
    expect(r.code).toBe('50013');
    expect(r.message).toContain('signature');
  });

  it('refuses an app-only token (managed identity token for Elevate) as the user assertion', async () => {
    const mi = new ManagedIdentityCredential({ clientId: s().tenant.agent.uamiClientId });
    const appOnly = await mi.getToken(`${app().apiAudience}/.default`);
    expect(decodeClaims(appOnly.token)).toMatchObject({ aud: app().apiAudience, idtyp: 'app' });
    const r = await refusedWith(elevateMsalApp(), appOnly.token);
    expect(r.code).toBe('50013');
    expect(r.message).toContain('app-only');
  });

  it("refuses a token of a personal account that is not in the tenant (consumers tid): AADSTS50020", async () => {
    // The sandbox never issues one (an uninvited account cannot sign in), so it is minted with
    // the sandbox's key as the consumers tenant would issue it.
    const now = Math.floor(Date.now() / 1000);
    const consumers = '9188040d-6c67-4c5b-b112-36a304b66dad';
    const token = await forgeSandboxToken({
      aud: app().clientId, iss: `${s().origin}/${consumers}/v2.0`, tid: consumers, oid: sandboxUser('uninvited').oid,
      idp: 'live.com', preferred_username: sandboxUser('uninvited').upn, scp: 'user_impersonation', iat: now, nbf: now, exp: now + 600, ver: '2.0',
    });
    const r = await refusedWith(elevateMsalApp(), token);
    expect(r.code).toBe('50020');
    expect(r.message).toContain("identity provider 'live.com'");
  });

  it('refuses a bad client secret (AADSTS7000215) and an unknown app (AADSTS700016)', async () => {
    const bad = new ConfidentialClientApplication(sandboxMsalConfig({ clientId: app().clientId, clientSecret: 'not-the-secret-value-0000' }));
    const r = await refusedWith(bad, adminToken);
    expect(r.error).toBe('invalid_client');
    expect(r.code).toBe('7000215');
    const unknown = new ConfidentialClientApplication(sandboxMsalConfig({ clientId: '0b8e4a53-0000-4000-8000-000000000001', clientSecret: 'whatever-secret-value-1' }));
    expect((await refusedWith(unknown, adminToken)).code).toBe('700016');
  });

  it('refuses an app without consent to ARM (AADSTS65001)', async () => {
    const cca = new ConfidentialClientApplication(sandboxMsalConfig({ clientId: dashboard().clientId, clientSecret: dashboard().clientSecret! }));
    const { result } = await signInWithMsal(cca, 'admin', { scopes: [`api://${dashboard().clientId}/user_impersonation`], redirectUri: 'http://localhost/callback' });
    const err = await cca.acquireTokenOnBehalfOf({ oboAssertion: result.accessToken, scopes: ARM_SCOPES, skipCache: true }).catch((e: unknown) => e);
    // MSAL turns consent_required into an InteractionRequiredAuthError, as with Entra
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect((err as InteractionRequiredAuthError).subError).toBe('consent_required');
    expect((err as InteractionRequiredAuthError).errorMessage).toMatch(/^AADSTS65001:/);
  });

  it("answers in Entra's error shape", async () => {
    const res = await fetch(`${s().origin}/${s().tenant.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'client-request-id': '0f6a3cbe-2a54-4c1e-9d8f-0a1b2c3d4e5f' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        client_id: app().clientId,
        client_secret: app().clientSecret,
        assertion: tamperSignature(adminToken),
        scope: ARM_SCOPES[0]!,
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'invalid_grant', error_codes: [50013], correlation_id: '0f6a3cbe-2a54-4c1e-9d8f-0a1b2c3d4e5f' });
    expect(String(body.error_description)).toMatch(/^AADSTS50013: .*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: 0f6a3cbe-2a54-4c1e-9d8f-0a1b2c3d4e5f\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s);
    expect(body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(body.timestamp)).toMatch(/Z$/);
    expect(JSON.stringify(body)).not.toContain(adminToken.split('.')[2]);
  });

  it('validates the request itself: requested_token_use, missing assertion, unknown grant, bad scopes', async () => {
    const post = async (params: Record<string, string>) => {
      const res = await fetch(`${s().origin}/${s().tenant.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: app().clientId, client_secret: app().clientSecret, ...params }),
      });
      return (await res.json()) as { error: string; error_codes: number[] };
    };
    const jwtBearer = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
    expect((await post({ grant_type: jwtBearer, assertion: adminToken, scope: ARM_SCOPES[0]! })).error).toBe('invalid_request');
    expect((await post({ grant_type: jwtBearer, requested_token_use: 'on_behalf_of', scope: ARM_SCOPES[0]! })).error_codes).toEqual([900144]);
    expect((await post({ grant_type: 'password', username: 'x', password: 'y' })).error_codes).toEqual([70003]);
    expect((await post({ grant_type: jwtBearer, requested_token_use: 'on_behalf_of', assertion: adminToken, scope: 'https://vault.example.com/.default' })).error_codes).toEqual([500011]);
    expect((await post({ grant_type: jwtBearer, requested_token_use: 'on_behalf_of', assertion: adminToken, scope: 'https://management.azure.com/user_impersonation api://x/y' })).error).toMatch(/invalid_(scope|resource)/);
    expect((await post({ grant_type: jwtBearer, requested_token_use: 'on_behalf_of', assertion: 'not-a-jwt', scope: ARM_SCOPES[0]! })).error_codes).toEqual([50027]);
  });
});
