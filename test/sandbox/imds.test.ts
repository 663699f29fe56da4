import { ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { decodeClaims } from '../support/token-forge.ts';

const s = () => sandboxInfo();
const agent = () => s().tenant.agent;

async function imds(query: Record<string, string>, headers: Record<string, string> = { Metadata: 'true' }) {
  const res = await fetch(`${s().imdsEndpoint}/metadata/identity/oauth2/token?${new URLSearchParams(query)}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('managed identity endpoint (IMDS style)', () => {
  it('ManagedIdentityCredential gets ARM and Elevate tokens for the agent UAMI', async () => {
    expect(process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST).toBe(s().imdsEndpoint);
    const cred = new ManagedIdentityCredential({ clientId: agent().uamiClientId });
    const arm = await cred.getToken('https://management.azure.com/.default');
    expect(decodeClaims(arm.token)).toMatchObject({
      aud: 'https://management.azure.com/',
      iss: `https://sts.windows.net/${s().tenant.tenantId}/`,
      appid: agent().uamiClientId,
      oid: agent().uamiPrincipalId,
      idtyp: 'app',
      xms_mirid: agent().uamiResourceId,
    });
    expect(arm.expiresOnTimestamp).toBeGreaterThan(Date.now());

    const api = await cred.getToken(`${s().tenant.elevateApp.apiAudience}/.default`);
    const claims = decodeClaims(api.token);
    // v1 (Elevate's registration keeps Entra's default): the v1 issuer, the App ID URI, appid
    expect(claims).toMatchObject({ aud: s().tenant.elevateApp.apiAudience, iss: `https://sts.windows.net/${s().tenant.tenantId}/`, appid: agent().uamiClientId, oid: agent().uamiPrincipalId, idtyp: 'app', ver: '1.0' });
    expect(claims.scp).toBeUndefined();
  });

  it('also selects the identity by object id and by resource id', async () => {
    const byObject = new ManagedIdentityCredential({ objectId: agent().uamiPrincipalId });
    expect(decodeClaims((await byObject.getToken('https://management.azure.com/.default')).token).oid).toBe(agent().uamiPrincipalId);
    const byResource = new ManagedIdentityCredential({ resourceId: agent().uamiResourceId });
    expect(decodeClaims((await byResource.getToken('https://management.azure.com/.default')).token).oid).toBe(agent().uamiPrincipalId);
  });

  it('answers like IMDS: string fields, Metadata header required, unknown identity refused', async () => {
    const ok = await imds({ 'api-version': '2018-02-01', resource: 'https://management.azure.com/', client_id: agent().uamiClientId });
    expect(ok.status).toBe(200);
    for (const f of ['access_token', 'expires_in', 'expires_on', 'not_before', 'resource', 'token_type', 'client_id']) expect(typeof ok.body[f]).toBe('string');
    expect(ok.body).toMatchObject({ token_type: 'Bearer', resource: 'https://management.azure.com/', client_id: agent().uamiClientId });
    expect(Number(ok.body.expires_on)).toBeGreaterThan(Date.now() / 1000);

    const noHeader = await imds({ 'api-version': '2018-02-01', resource: 'https://management.azure.com/', client_id: agent().uamiClientId }, {});
    expect(noHeader).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'Required metadata header not specified' } });

    const unknown = await imds({ 'api-version': '2018-02-01', resource: 'https://management.azure.com/', client_id: '00000000-1111-2222-3333-444444444444' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_description).toBe('Identity not found');

    const ambiguous = await imds({ 'api-version': '2018-02-01', resource: 'https://management.azure.com/' });
    expect(ambiguous.status).toBe(400);
    expect(ambiguous.body.error_description).toMatch(/Multiple user assigned identities/);

    expect((await imds({ resource: 'https://management.azure.com/', client_id: agent().uamiClientId })).status).toBe(400);
    expect((await imds({ 'api-version': '2018-02-01', client_id: agent().uamiClientId })).body.error_description).toMatch(/resource/);
    const badResource = await imds({ 'api-version': '2018-02-01', resource: 'https://vault.example.com', client_id: agent().uamiClientId });
    expect(badResource.body.error).toBe('invalid_resource');
    const proxied = await imds({ 'api-version': '2018-02-01', resource: 'https://management.azure.com/', client_id: agent().uamiClientId }, { Metadata: 'true', 'X-Forwarded-For': '10.0.0.1' });
    expect(proxied.status).toBe(400);
  });

  it('surfaces IMDS refusals through ManagedIdentityCredential', async () => {
    const cred = new ManagedIdentityCredential({ clientId: '00000000-1111-2222-3333-444444444444', retryOptions: { maxRetries: 0 } });
    await expect(cred.getToken('https://management.azure.com/.default')).rejects.toThrow(/Identity not found/);
  });
});
