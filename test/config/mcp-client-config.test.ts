import { describe, expect, it } from 'vitest';
import { loadMcpClientConfig } from '../../src/config/mcp-client-config.ts';

describe('elevate mcp configuration', () => {
  const env = { ELEVATE_URL: 'https://elevate.contoso.com', ELEVATE_API_SCOPE: 'api://53bf064d-c659-4749-839e-d56b96eaae54/.default', ELEVATE_AGENT_CLIENT_ID: 'e1f0d68b-bc88-458f-a988-262125f523c6' };

  it('reads the environment, and flags win over it', () => {
    expect(loadMcpClientConfig({}, env)).toEqual({ elevateUrl: env.ELEVATE_URL, scope: env.ELEVATE_API_SCOPE, managedIdentityClientId: env.ELEVATE_AGENT_CLIENT_ID });
    expect(loadMcpClientConfig({ url: 'http://127.0.0.1:3000' }, env).elevateUrl).toBe('http://127.0.0.1:3000');
    expect(loadMcpClientConfig({}, { ...env, ELEVATE_AGENT_CLIENT_ID: '' }).managedIdentityClientId).toBeUndefined();
  });

  it('names the setting and the problem in one line', () => {
    expect(() => loadMcpClientConfig({}, { ...env, ELEVATE_URL: undefined })).toThrow(/^ELEVATE_URL \/ --url: is required$/);
    expect(() => loadMcpClientConfig({}, { ...env, ELEVATE_API_SCOPE: 'api://x' })).toThrow(/ELEVATE_API_SCOPE.*\/\.default/);
    expect(() => loadMcpClientConfig({}, { ...env, ELEVATE_AGENT_CLIENT_ID: 'sre-agent' })).toThrow(/ELEVATE_AGENT_CLIENT_ID.*GUID/);
    expect(() => loadMcpClientConfig({}, { ...env, ELEVATE_URL: 'ftp://elevate' })).toThrow(/ELEVATE_URL/);
  });
});
