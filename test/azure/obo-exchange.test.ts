import { describe, expect, it } from 'vitest';
import { resolveAzureEndpoints } from '../../src/azure/azure-endpoints.ts';
import { msalConfiguration } from '../../src/azure/obo-exchange.ts';
import { parseConfig } from '../../src/config/load-config.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const sandbox = {
  origin: 'https://localhost:8443',
  browserOrigin: 'http://127.0.0.1:8080',
  authorityHost: 'https://localhost:8443',
  armEndpoint: 'https://localhost:8443',
  imdsEndpoint: 'https://localhost:8443',
  tenant: { tenantId: TENANT, elevateApp: { clientId: CLIENT, clientSecret: 's', apiAudience: `api://${CLIENT}` } },
};

describe('msalConfiguration', () => {
  it('pins MSAL to the configured authority: known host, supplied metadata, no Microsoft discovery', () => {
    const endpoints = resolveAzureEndpoints(parseConfig({}), sandbox);
    const auth = msalConfiguration(endpoints, { clientSecret: 's' }).auth;
    expect(auth.authority).toBe(`https://localhost:8443/${TENANT}`);
    expect(auth.knownAuthorities).toEqual(['localhost:8443']);
    const metadata = JSON.parse(auth.authorityMetadata!) as Record<string, string>;
    expect(metadata.token_endpoint).toBe(`https://localhost:8443/${TENANT}/oauth2/v2.0/token`);
    expect(metadata.issuer).toBe(`https://localhost:8443/${TENANT}/v2.0`);
    const discovery = JSON.parse(auth.cloudDiscoveryMetadata!) as { metadata: Array<{ aliases: string[] }> };
    expect(discovery.metadata[0]!.aliases).toEqual(['localhost:8443']);
    // every URL MSAL is given stays on the authority's origin
    for (const url of Object.values(metadata)) expect(new URL(url).origin).toBe('https://localhost:8443');
    expect(JSON.stringify(auth)).not.toMatch(/microsoftonline/);
  });

  it('passes a client assertion callback through unchanged and sets no log output', async () => {
    const endpoints = resolveAzureEndpoints(parseConfig({}), sandbox);
    const config = msalConfiguration(endpoints, { clientAssertion: async () => 'assertion' });
    expect(await (config.auth.clientAssertion as () => Promise<string>)()).toBe('assertion');
    expect(config.auth.clientSecret).toBeUndefined();
    expect(config.system?.loggerOptions?.piiLoggingEnabled).toBe(false);
  });
});
