import { afterEach, describe, expect, it } from 'vitest';
import { applySdkEnvironment, environmentWithCaBundle, isCaReexecChild, processTrustsCaBundle } from '../../src/config/sdk-environment.ts';

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['AZURE_POD_IDENTITY_AUTHORITY_HOST', 'NODE_EXTRA_CA_CERTS', 'ELEVATE_CA_REEXEC']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('applySdkEnvironment', () => {
  it('points managed identity at the sandbox IMDS when one is given', () => {
    applySdkEnvironment({ imdsEndpoint: 'https://localhost:9443/imds' });
    expect(process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST).toBe('https://localhost:9443/imds');
  });

  it('leaves the host environment alone with a real tenant', () => {
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = 'http://169.254.169.254';
    applySdkEnvironment({ imdsEndpoint: undefined });
    expect(process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST).toBe('http://169.254.169.254');
  });
});

describe('CA bundle re-exec environment', () => {
  it('recognises the bundle this process started with, by resolved path', () => {
    process.env.NODE_EXTRA_CA_CERTS = '/tmp/x/../bundle.pem';
    expect(processTrustsCaBundle('/tmp/bundle.pem')).toBe(true);
    expect(processTrustsCaBundle('/tmp/other.pem')).toBe(false);
    delete process.env.NODE_EXTRA_CA_CERTS;
    expect(processTrustsCaBundle('/tmp/bundle.pem')).toBe(false);
  });

  it('builds a child environment with the bundle and a loop guard, without touching this process', () => {
    delete process.env.ELEVATE_CA_REEXEC;
    const env = environmentWithCaBundle('relative/bundle.pem');
    expect(env.NODE_EXTRA_CA_CERTS).toMatch(/^\/.*relative\/bundle\.pem$/);
    expect(env.ELEVATE_CA_REEXEC).toBe('1');
    expect(isCaReexecChild()).toBe(false);
    process.env.ELEVATE_CA_REEXEC = '1';
    expect(isCaReexecChild()).toBe(true);
  });
});
