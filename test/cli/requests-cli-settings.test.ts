import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import { resolveRequestsCliSettings } from '../../src/cli/requests/requests-cli-settings.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLI = '0f1e2d3c-4b5a-4968-8776-655443322110';
const ELEVATE = '53bf064d-c659-4749-839e-d56b96eaae54';

describe('elevate requests settings', () => {
  it('with a real tenant: needs no Elevate credential on the administrator\'s machine, only tenant, CLI client id, API and URL', () => {
    const config = parseConfig({ AZURE_TENANT_ID: TENANT, ELEVATE_CLI_CLIENT_ID: CLI, AZURE_CLIENT_ID: ELEVATE, ELEVATE_URL: 'https://elevate.contoso.example/' }, { serviceCredential: false });
    expect(resolveRequestsCliSettings(config, {})).toEqual({
      mode: 'azure',
      elevateUrl: 'https://elevate.contoso.example',
      tenantId: TENANT,
      authority: `https://login.microsoftonline.com/${TENANT}`,
      knownAuthorities: [],
      clientId: CLI,
      scope: `api://${ELEVATE}/user_impersonation`,
    });
    // the service itself still requires its credential
    expect(() => parseConfig({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: ELEVATE })).toThrow(/ELEVATE_SESSION_SECRET|AZURE_CLIENT_SECRET/);
  });

  it('says what is missing with a real tenant', () => {
    const noClient = parseConfig({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: ELEVATE }, { serviceCredential: false });
    expect(() => resolveRequestsCliSettings(noClient, {})).toThrow(/ELEVATE_CLI_CLIENT_ID/);
    const noApi = parseConfig({ AZURE_TENANT_ID: TENANT, ELEVATE_CLI_CLIENT_ID: CLI }, { serviceCredential: false });
    expect(() => resolveRequestsCliSettings(noApi, {})).toThrow(/ELEVATE_API_AUDIENCE/);
    expect(() => resolveRequestsCliSettings(noApi, { scope: `api://${ELEVATE}/user_impersonation`, url: 'file:///etc/passwd' })).toThrow(/--url/);
  });

  it('in sandbox mode: defaults from the seed and the sandbox ports, as `elevate sandbox info` shows', () => {
    const config = parseConfig({ ELEVATE_PORT: '3100', ELEVATE_SANDBOX_PORT: '9443' });
    const s = resolveRequestsCliSettings(config, {});
    expect(s).toMatchObject({
      mode: 'sandbox',
      elevateUrl: 'http://127.0.0.1:3100',
      authority: `https://localhost:9443/${s.tenantId}`,
      knownAuthorities: ['localhost:9443'],
      clientId: 'b6a4e1f0-3c2d-4e8a-9f71-2d5c8e0a4b19',
      scope: `api://${ELEVATE}/user_impersonation`,
    });
    expect(resolveRequestsCliSettings(config, { clientId: CLI, url: 'http://elevate.local:8000' })).toMatchObject({ clientId: CLI, elevateUrl: 'http://elevate.local:8000' });
  });
});
