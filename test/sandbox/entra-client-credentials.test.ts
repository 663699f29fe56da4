import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential, WorkloadIdentityCredential } from '@azure/identity';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { sandboxMsalConfig } from '../support/sandbox-msal.ts';
import { decodeClaims } from '../support/token-forge.ts';

const s = () => sandboxInfo();
const app = () => s().tenant.elevateApp;
const siem = () => s().tenant.otherApps.find((a) => a.key === 'siem')!;
/** @azure/identity credentials take the sandbox as their authority host, with instance discovery off. */
const identityOptions = () => ({ authorityHost: s().authorityHost, disableInstanceDiscovery: true });

describe('client credentials', () => {
  it('MSAL: app-only ARM token for Elevate (idtyp app, no scp)', async () => {
    const cca = new ConfidentialClientApplication(sandboxMsalConfig({ clientId: app().clientId, clientSecret: app().clientSecret }));
    const result = await cca.acquireTokenByClientCredential({ scopes: ['https://management.azure.com/.default'] });
    const claims = decodeClaims(result!.accessToken);
    expect(claims).toMatchObject({
      aud: 'https://management.azure.com/',
      iss: `https://sts.windows.net/${s().tenant.tenantId}/`,
      appid: app().clientId,
      oid: app().servicePrincipalId,
      idtyp: 'app',
      ver: '1.0',
    });
    expect(claims.scp).toBeUndefined();
  });

  it('stamps iat and nbf five minutes in the past, as Entra does, and expires_in from now', async () => {
    const cca = new ConfidentialClientApplication(sandboxMsalConfig({ clientId: app().clientId, clientSecret: app().clientSecret }));
    const before = Math.floor(Date.now() / 1000);
    const result = await cca.acquireTokenByClientCredential({ scopes: ['https://management.azure.com/.default'] });
    const after = Math.ceil(Date.now() / 1000);
    const claims = decodeClaims(result!.accessToken);
    // https://github.com/psignoret/aad-sso-wordpress/issues/34: "a 5-minute buffer in both the iat and nbf claims"
    expect(claims.iat).toBe(claims.nbf);
    expect(Number(claims.iat)).toBeGreaterThanOrEqual(before - 300);
    expect(Number(claims.iat)).toBeLessThanOrEqual(after - 300);
    // The token lives its lifetime from when it was minted, which MSAL reads from expires_in.
    const expiresOn = Math.round(result!.expiresOn!.getTime() / 1000);
    expect(Math.abs(expiresOn - Number(claims.exp))).toBeLessThanOrEqual(2);
    expect(Number(claims.exp) - after).toBeGreaterThan(3000);
  });

  it('ClientSecretCredential (governance credential) and its refusal of a wrong secret', async () => {
    const cred = new ClientSecretCredential(s().tenant.tenantId, app().clientId, app().clientSecret, identityOptions());
    const token = await cred.getToken('https://management.azure.com/.default');
    expect(decodeClaims(token.token).oid).toBe(app().servicePrincipalId);
    const bad = new ClientSecretCredential(s().tenant.tenantId, app().clientId, 'wrong-secret-value-00000', identityOptions());
    await expect(bad.getToken('https://management.azure.com/.default')).rejects.toThrow(/AADSTS7000215/);
  });

  it('certificate credential: the SIEM connector gets a token for Elevate with its app role', async () => {
    const cert = siem().certificate!;
    const pem = readFileSync(cert.certificatePath, 'utf8');
    const thumbprintSha256 = createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
    const cca = new ConfidentialClientApplication(
      sandboxMsalConfig({ clientId: siem().clientId, clientCertificate: { thumbprintSha256, privateKey: readFileSync(cert.privateKeyPath, 'utf8') } }),
    );
    const result = await cca.acquireTokenByClientCredential({ scopes: [`${app().apiAudience}/.default`] });
    // Elevate's registration keeps Entra's default access token version, 1: appid/appidacr, the App ID URI as audience.
    expect(decodeClaims(result!.accessToken)).toMatchObject({ aud: app().apiAudience, appid: siem().clientId, appidacr: '2', idtyp: 'app', roles: ['Audit.Read'], ver: '1.0' });

    // the same through @azure/identity
    const cred = new ClientCertificateCredential(s().tenant.tenantId, siem().clientId, { certificate: `${readFileSync(cert.privateKeyPath, 'utf8')}\n${pem}` }, identityOptions());
    const viaIdentity = await cred.getToken(`${app().apiAudience}/.default`);
    expect(decodeClaims(viaIdentity.token).roles).toEqual(['Audit.Read']);
  });

  it('federated credential: Elevate authenticates with its managed identity token (ClientAssertionCredential)', async () => {
    const mi = new ManagedIdentityCredential({ clientId: app().managedIdentity!.clientId });
    const cred = new ClientAssertionCredential(
      s().tenant.tenantId,
      app().clientId,
      async () => (await mi.getToken('api://AzureADTokenExchange/.default')).token,
      identityOptions(),
    );
    const token = await cred.getToken('https://management.azure.com/.default');
    expect(decodeClaims(token.token)).toMatchObject({ appid: app().clientId, oid: app().servicePrincipalId, appidacr: '2', idtyp: 'app' });
  });

  it('WorkloadIdentityCredential reads the federated token from its file', async () => {
    const mi = new ManagedIdentityCredential({ clientId: app().managedIdentity!.clientId });
    const file = join(mkdtempSync(join(tmpdir(), 'elevate-wi-')), 'token');
    writeFileSync(file, (await mi.getToken('api://AzureADTokenExchange/.default')).token);
    const cred = new WorkloadIdentityCredential({ tenantId: s().tenant.tenantId, clientId: app().clientId, tokenFilePath: file, ...identityOptions() });
    const token = await cred.getToken('https://management.azure.com/.default');
    expect(decodeClaims(token.token).appid).toBe(app().clientId);
  });

  it('refuses a federated assertion that matches no federated identity record (AADSTS70021)', async () => {
    // the agent's identity is not trusted by Elevate's app registration
    const agent = new ManagedIdentityCredential({ clientId: s().tenant.agent.uamiClientId });
    const cred = new ClientAssertionCredential(
      s().tenant.tenantId,
      app().clientId,
      async () => (await agent.getToken('api://AzureADTokenExchange/.default')).token,
      identityOptions(),
    );
    await expect(cred.getToken('https://management.azure.com/.default')).rejects.toThrow(/AADSTS70021/);
  });

  it('requires {resource}/.default and a known resource', async () => {
    const post = async (scope: string) => {
      const res = await fetch(`${s().origin}/${s().tenant.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app().clientId, client_secret: app().clientSecret, scope }),
      });
      return { status: res.status, body: (await res.json()) as { error: string; error_codes: number[] } };
    };
    expect((await post('https://management.azure.com/user_impersonation')).body.error_codes).toEqual([1002012]);
    expect((await post('https://unknown.example.com/.default')).body.error_codes).toEqual([500011]);
    const noSecret = await fetch(`${s().origin}/${s().tenant.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app().clientId, scope: 'https://management.azure.com/.default' }),
    });
    expect(noSecret.status).toBe(401);
    expect(((await noSecret.json()) as { error_codes: number[] }).error_codes).toEqual([7000218]);
    const basic = await fetch(`${s().origin}/${s().tenant.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${app().clientId}:${encodeURIComponent(app().clientSecret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'https://management.azure.com/.default' }),
    });
    expect(basic.status).toBe(200);
  });
});
