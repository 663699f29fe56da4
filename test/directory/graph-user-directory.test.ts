/**
 * Requester look-ups through the Azure SDK pipeline against the sandbox's Microsoft Graph
 * (/v1.0/users), with Elevate's own app-only credential (Graph User.Read.All), and the sandbox's
 * Graph behaving as Graph does: 404 Request_ResourceNotFound for an unknown user, 403
 * Authorization_RequestDenied for an app without the permission, 401 without a token.
 */
import { ClientSecretCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { resolveAzureEndpoints } from '../../src/azure/azure-endpoints.ts';
import { createServiceCredential } from '../../src/azure/service-credential.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createGraphUserDirectory, GraphLookupError } from '../../src/directory/graph-user-directory.ts';
import { resolveRequester } from '../../src/directory/requester-identity.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';

const info = sandboxInfo();
const endpoints = resolveAzureEndpoints(parseConfig({}), info);
const elevate = createServiceCredential(endpoints, { kind: 'secret', clientSecret: info.tenant.elevateApp.clientSecret });
const graph = createGraphUserDirectory(elevate, { graphEndpoint: endpoints.graphEndpoint, graphScope: endpoints.graphScope });
const ada = sandboxUser('admin');

async function graphToken(credential = elevate): Promise<string> {
  return (await credential.getToken(endpoints.graphScope))!.token;
}

describe('the sandbox Graph users endpoint', () => {
  it('is where the service looks (the real audience as scope, the sandbox origin as host)', () => {
    expect(endpoints.graphEndpoint).toBe(info.origin);
    expect(endpoints.graphScope).toBe('https://graph.microsoft.com/.default');
    const real = resolveAzureEndpoints(parseConfig({ AZURE_TENANT_ID: info.tenant.tenantId, AZURE_CLIENT_ID: info.tenant.elevateApp.clientId, AZURE_CLIENT_SECRET: 'x', ELEVATE_SESSION_SECRET: 'x'.repeat(32), ELEVATE_GRAPH_ENDPOINT: 'https://graph.microsoft.us/' }));
    expect([real.graphEndpoint, real.graphScope]).toEqual(['https://graph.microsoft.us', 'https://graph.microsoft.us/.default']);
  });

  it('gets a user by object id or UPN (any case), with Graph\'s shape', async () => {
    const res = await fetch(`${info.origin}/v1.0/users/${encodeURIComponent(ada.upn.toUpperCase())}`, { headers: { authorization: `Bearer ${await graphToken()}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', id: ada.oid, userPrincipalName: ada.upn, displayName: ada.displayName });
    expect(await graph.byIdOrUpn(ada.oid.toUpperCase())).toEqual({ id: ada.oid });
  });

  it("answers an unknown user with Graph's 404 Request_ResourceNotFound body", async () => {
    const res = await fetch(`${info.origin}/v1.0/users/nobody@contoso-sre.onmicrosoft.com`, { headers: { authorization: `Bearer ${await graphToken()}`, 'client-request-id': 'c-1' } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string; innerError: Record<string, string> } };
    expect(body.error.code).toBe('Request_ResourceNotFound');
    expect(body.error.message).toBe("Resource 'nobody@contoso-sre.onmicrosoft.com' does not exist or one of its queried reference-property objects are not present.");
    expect(body.error.innerError).toMatchObject({ 'request-id': expect.any(String), 'client-request-id': 'c-1', date: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(await graph.byIdOrUpn('nobody@contoso-sre.onmicrosoft.com')).toBeUndefined();
  });

  it('refuses a call without a token (401 InvalidAuthenticationToken)', async () => {
    const res = await fetch(`${info.origin}/v1.0/users/${ada.oid}`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
  });

  it("refuses an app without User.Read.All with Graph's 403 Authorization_RequestDenied, which resolution records as unresolved", async () => {
    const dashboard = info.tenant.otherApps.find((a) => a.key === 'dashboard');
    expect(dashboard?.clientSecret).toBeTruthy();
    const credential = new ClientSecretCredential(info.tenant.tenantId, dashboard!.clientId, dashboard!.clientSecret!, { authorityHost: endpoints.authorityHost, disableInstanceDiscovery: true });
    const res = await fetch(`${info.origin}/v1.0/users/${ada.oid}`, { headers: { authorization: `Bearer ${await graphToken(credential)}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } });

    const unprivileged = createGraphUserDirectory(credential, { graphEndpoint: endpoints.graphEndpoint, graphScope: endpoints.graphScope });
    await expect(unprivileged.byIdOrUpn(ada.upn)).rejects.toMatchObject({ name: 'GraphLookupError', status: 403, code: 'Authorization_RequestDenied' });
    await expect(unprivileged.byIdOrUpn(ada.upn)).rejects.toBeInstanceOf(GraphLookupError);
    expect(await resolveRequester(ada.upn, unprivileged)).toEqual({ status: 'unresolved', reason: 'directory_unavailable' });
  });

  it('finds users by mail, other mails and proxy addresses, and by display name or alias', async () => {
    expect(await graph.byAddress('ada@contoso-sre.onmicrosoft.com')).toEqual([{ id: ada.oid }]);
    expect(await graph.byAddress('ada.lovelace@contoso.example')).toEqual([{ id: ada.oid }]);
    expect(await graph.byAddress("o'brien@contoso.example")).toEqual([]);
    expect(await graph.byName('ada admin')).toEqual([{ id: ada.oid }]);
    expect(await graph.byName('ada.admin')).toEqual([{ id: ada.oid }]);
  });
});

describe('requester spellings resolved through Graph', () => {
  it.each(['Ada Admin', 'ada.admin', `${ada.upn}.`, `mailto:${ada.upn}`, `MAILTO:${ada.upn.toUpperCase()}.`, 'ada@contoso-sre.onmicrosoft.com', ada.oid])('%j -> Ada', async (spelling) => {
    expect(await resolveRequester(spelling, graph)).toEqual({ status: 'resolved', objectId: ada.oid });
  });

  it('leaves unknown people and free text unresolved', async () => {
    expect(await resolveRequester('nobody@contoso-sre.onmicrosoft.com', graph)).toEqual({ status: 'unresolved', reason: 'not_found' });
    expect(await resolveRequester('the on-call engineer', graph)).toEqual({ status: 'unresolved', reason: 'not_an_identity' });
  });

  it('records an unreachable Graph as unresolved (stricter)', async () => {
    const unreachable = createGraphUserDirectory(elevate, { graphEndpoint: 'https://127.0.0.1:1', graphScope: endpoints.graphScope, timeoutMs: 2_000 });
    expect(await resolveRequester('Ada Admin', unreachable)).toEqual({ status: 'unresolved', reason: 'directory_unavailable' });
  });
});
