import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import { AzureSetupError, resolveAzureEndpoints, resolveServiceCredentialSource, type SandboxEndpointSource } from '../../src/azure/azure-endpoints.ts';
import { createAgentCredential, createMsalClientCredential, createServiceCredential } from '../../src/azure/service-credential.ts';
import { staticTokenCredential, StaticTokenExpiredError } from '../../src/azure/static-token-credential.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const realEnv = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, ELEVATE_SESSION_SECRET: 'x'.repeat(40), AZURE_CLIENT_SECRET: 'secret-value' };
const sandbox: SandboxEndpointSource = {
  origin: 'https://localhost:8443',
  browserOrigin: 'http://127.0.0.1:8080',
  authorityHost: 'https://localhost:8443/',
  armEndpoint: 'https://localhost:8443',
  imdsEndpoint: 'https://localhost:8443/imds',
  tenant: { tenantId: TENANT, elevateApp: { clientId: CLIENT, clientSecret: 'sandbox-secret', apiAudience: `api://${CLIENT}` } },
};

describe('resolveAzureEndpoints', () => {
  it('uses Microsoft endpoints with a real tenant, accepting v1 and v2 issuers', () => {
    const e = resolveAzureEndpoints(parseConfig(realEnv));
    expect(e).toMatchObject({
      mode: 'azure',
      authority: `https://login.microsoftonline.com/${TENANT}`,
      armEndpoint: 'https://management.azure.com',
      armScope: 'https://management.azure.com/.default',
      knownAuthorities: ['login.microsoftonline.com'],
      disableInstanceDiscovery: false,
      apiAudiences: [CLIENT, `api://${CLIENT}`],
      issuers: [`https://login.microsoftonline.com/${TENANT}/v2.0`, `https://sts.windows.net/${TENANT}/`],
      jwksUri: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
      imdsEndpoint: undefined,
    });
  });

  it('uses the sandbox in sandbox mode: instance discovery off, browser sign-in on the http origin', () => {
    const e = resolveAzureEndpoints(parseConfig({}), sandbox);
    expect(e).toMatchObject({
      mode: 'sandbox',
      authorityHost: 'https://localhost:8443',
      authority: `https://localhost:8443/${TENANT}`,
      knownAuthorities: ['localhost:8443'],
      disableInstanceDiscovery: true,
      browserAuthorityHost: 'http://127.0.0.1:8080',
      armScope: 'https://management.azure.com/.default',
      // Elevate's sandbox registration keeps Entra's default access token version (1), so its API
      // tokens come from the v1 issuer, as they would on a new real registration.
      issuers: [`https://localhost:8443/${TENANT}/v2.0`, `https://sts.windows.net/${TENANT}/`],
      imdsEndpoint: 'https://localhost:8443/imds',
    });
  });

  it('a custom (non-Microsoft) authority in real mode disables instance discovery; v1 tokens still name Entra\'s v1 issuer', () => {
    const e = resolveAzureEndpoints(parseConfig({ ...realEnv, AZURE_AUTHORITY_HOST: 'https://login.contoso.example' }));
    expect(e.disableInstanceDiscovery).toBe(true);
    expect(e.issuers).toEqual([`https://login.contoso.example/${TENANT}/v2.0`, `https://sts.windows.net/${TENANT}/`]);
  });

  it('refuses sandbox mode without a running sandbox', () => {
    expect(() => resolveAzureEndpoints(parseConfig({}))).toThrow(AzureSetupError);
    expect(() => resolveServiceCredentialSource(parseConfig({}))).toThrow(AzureSetupError);
  });
});

describe('service credential source', () => {
  it('takes the sandbox app secret in sandbox mode and the configured kind in real mode', () => {
    expect(resolveServiceCredentialSource(parseConfig({}), sandbox)).toEqual({ kind: 'secret', clientSecret: 'sandbox-secret' });
    expect(resolveServiceCredentialSource(parseConfig(realEnv))).toEqual({ kind: 'secret', clientSecret: 'secret-value' });
    const { AZURE_CLIENT_SECRET: _s, ...noSecret } = realEnv;
    expect(resolveServiceCredentialSource(parseConfig({ ...noSecret, AZURE_FEDERATED_TOKEN_FILE: '/var/run/token' }))).toEqual({ kind: 'workload-identity', tokenFile: '/var/run/token' });
    expect(resolveServiceCredentialSource(parseConfig({ ...noSecret, ELEVATE_MANAGED_IDENTITY_CLIENT_ID: CLIENT }))).toEqual({ kind: 'managed-identity', managedIdentityClientId: CLIENT });
  });

  it('builds credentials of each kind without network access', () => {
    const endpoints = resolveAzureEndpoints(parseConfig({}), sandbox);
    expect(createServiceCredential(endpoints, { kind: 'secret', clientSecret: 's' }).constructor.name).toBe('ClientSecretCredential');
    expect(createServiceCredential(endpoints, { kind: 'workload-identity', tokenFile: '/t' }).constructor.name).toBe('WorkloadIdentityCredential');
    expect(createServiceCredential(endpoints, { kind: 'managed-identity', managedIdentityClientId: CLIENT }).constructor.name).toBe('ClientAssertionCredential');
    expect(createAgentCredential(CLIENT).constructor.name).toBe('ManagedIdentityCredential');
    expect(createMsalClientCredential({ kind: 'secret', clientSecret: 's' })).toEqual({ clientSecret: 's' });
    expect(typeof (createMsalClientCredential({ kind: 'workload-identity', tokenFile: '/t' }) as { clientAssertion: unknown }).clientAssertion).toBe('function');
  });
});

describe('staticTokenCredential', () => {
  it('returns the token until it expires and never exposes it as data', async () => {
    const token = 'one-time-token-text';
    const credential = staticTokenCredential(token, new Date(Date.now() + 60_000));
    expect((await credential.getToken('https://management.azure.com/.default'))?.token).toBe(token);
    expect(JSON.stringify(credential)).not.toContain(token);
    expect(inspect(credential, { depth: 5, showHidden: true })).not.toContain(token);
    const expired = staticTokenCredential(token, new Date(Date.now() - 1));
    await expect(expired.getToken('x')).rejects.toBeInstanceOf(StaticTokenExpiredError);
  });
});
