import { ClientSecretCredential } from '@azure/identity';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { sandboxInfo } from '../support/sandbox-context.ts';

const s = () => sandboxInfo();
const tenant = () => s().tenant.tenantId;

async function discovery(segment: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${s().origin}/${segment}/v2.0/.well-known/openid-configuration`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The fields Entra's v2 discovery document has, no more and no fewer (tenant documents). */
const ENTRA_FIELDS = [
  'authorization_endpoint', 'claims_supported', 'cloud_graph_host_name', 'cloud_instance_name', 'device_authorization_endpoint',
  'end_session_endpoint', 'frontchannel_logout_supported', 'http_logout_supported', 'id_token_signing_alg_values_supported', 'issuer',
  'jwks_uri', 'kerberos_endpoint', 'msgraph_host', 'rbac_url', 'request_uri_parameter_supported', 'response_modes_supported',
  'response_types_supported', 'scopes_supported', 'subject_types_supported', 'tenant_region_scope', 'token_endpoint',
  'token_endpoint_auth_methods_supported', 'userinfo_endpoint',
];

describe("Entra's discovery documents", () => {
  it("a tenant's document has Entra's field set and nothing Entra does not publish", async () => {
    const { status, body } = await discovery(tenant());
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(ENTRA_FIELDS);
    expect(body).toMatchObject({
      issuer: `${s().origin}/${tenant()}/v2.0`,
      userinfo_endpoint: `${s().origin}/oidc/userinfo`,
      device_authorization_endpoint: `${s().origin}/${tenant()}/oauth2/v2.0/devicecode`,
      kerberos_endpoint: `${s().origin}/${tenant()}/kerberos`,
      token_endpoint: `${s().origin}/${tenant()}/oauth2/v2.0/token`,
    });
    expect(body.grant_types_supported).toBeUndefined();
    expect(body.code_challenge_methods_supported).toBeUndefined();
    // auth_time is advertised (it can be configured) but, being optional, is not sent by default
    expect(body.claims_supported).toContain('auth_time');
  });

  it('serves /common and /organizations with the {tenantid} issuer template and multi-tenant endpoints', async () => {
    for (const segment of ['common', 'organizations']) {
      const { status, body } = await discovery(segment);
      expect(status).toBe(200);
      expect(Object.keys(body).sort()).toEqual(ENTRA_FIELDS);
      expect(body.issuer).toBe(`${s().origin}/{tenantid}/v2.0`);
      expect(body.token_endpoint).toBe(`${s().origin}/${segment}/oauth2/v2.0/token`);
      expect(body.authorization_endpoint).toBe(`${s().browserOrigin}/${segment}/oauth2/v2.0/authorize`);
      expect(body.tenant_region_scope).toBeNull();
    }
    expect((await discovery('contoso-unknown.example')).status).toBe(400);
  });

  it('serves the device authorization endpoint it publishes (entra-device-code.test.ts), and says plainly that it does not emulate Kerberos', async () => {
    const device = await fetch(`${s().origin}/${tenant()}/oauth2/v2.0/devicecode`, { method: 'POST' });
    expect(device.status).toBe(400);
    expect(((await device.json()) as { error_codes: number[] }).error_codes).toEqual([900144]);
    expect((await fetch(`${s().origin}/${tenant()}/kerberos`)).status).toBe(501);
  });

  it('userinfo refuses a missing or non-Graph token', async () => {
    const none = await fetch(`${s().origin}/oidc/userinfo`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const garbage = await fetch(`${s().origin}/oidc/userinfo`, { headers: { authorization: 'Bearer a.b.c' } });
    expect(garbage.status).toBe(401);
  });

  it('ClientSecretCredential needs disableInstanceDiscovery: otherwise it asks login.microsoftonline.com first', async () => {
    const app = s().tenant.elevateApp;
    const withDiscovery = new ClientSecretCredential(tenant(), app.clientId, app.clientSecret, { authorityHost: s().authorityHost });
    // MSAL's instance discovery goes to Azure's public cloud, which the tests' egress guard refuses
    await expect(withDiscovery.getToken('https://management.azure.com/.default')).rejects.toThrow(/endpoints_resolution_error/);
    const without = new ClientSecretCredential(tenant(), app.clientId, app.clientSecret, { authorityHost: s().authorityHost, disableInstanceDiscovery: true });
    expect((await without.getToken('https://management.azure.com/.default')).token).toMatch(/^eyJ/);
  });
});

describe('/common and /organizations with a single-tenant app (every app registration starts as one)', () => {
  it('refuses the token request with AADSTS50194 naming the app (the SDKs do not even send a client-credentials request there)', async () => {
    const app = s().tenant.elevateApp;
    for (const segment of ['organizations', 'common']) {
      const res = await fetch(`${s().origin}/${segment}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret!, scope: 'https://management.azure.com/.default' }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: string; error_codes: number[]; error_description: string };
      expect(body).toMatchObject({ error: 'invalid_request', error_codes: [50194] });
      expect(body.error_description).toMatch(new RegExp(`^AADSTS50194: Application '${app.clientId}'\\(.+\\) is not configured as a multi-tenant application`));
    }
    const msal = new ConfidentialClientApplication({
      auth: { clientId: app.clientId, clientSecret: app.clientSecret!, authority: `${s().authorityHost}/organizations`, knownAuthorities: [new URL(s().authorityHost).host] },
    });
    await expect(msal.acquireTokenByClientCredential({ scopes: ['https://management.azure.com/.default'] })).rejects.toThrow(/missing_tenant_id/);
    const cred = new ClientSecretCredential('organizations', app.clientId, app.clientSecret!, { authorityHost: s().authorityHost, disableInstanceDiscovery: true });
    await expect(cred.getToken('https://management.azure.com/.default')).rejects.toThrow(/tenant/i);
  });

  it('refuses the sign-in at the authorize endpoint, and an unknown client there is an unknown tenant (90002)', async () => {
    const app = s().tenant.elevateApp;
    const authorize = (segment: string, clientId: string) =>
      fetch(`${s().browserOrigin}/${segment}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:3000/auth/callback', scope: 'openid' })}`, { redirect: 'manual' });
    const refused = await authorize('common', app.clientId);
    expect(await refused.text()).toContain('AADSTS50194');
    const unknown = await authorize('common', '00000000-0000-4000-8000-00000000abcd');
    expect(await unknown.text()).toContain('AADSTS90002');
  });
});
