import { execFile } from 'node:child_process';
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../support/no-egress-guard.mjs';
import { sandboxInfo } from '../support/sandbox-context.ts';

// Acceptance: "No test or start-up reaches any address outside loopback". These prove the guard
// that enforces it is active in workers and in processes tests spawn, and that it still lets
// loopback traffic (the sandbox) through.
describe('no-egress guard', () => {
  it('classifies loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.8.9.10', '::1', '[::1]', '::ffff:127.0.0.1', 'api.localhost']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['example.com', '10.0.0.1', '169.254.169.254', '0.0.0.0', '::', 'login.microsoftonline.com', '', 'localhost.evil.com']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('refuses raw TCP and TLS connections to non-loopback addresses', () => {
    expect(() => net.connect(443, '93.184.216.34')).toThrow(/egress blocked/);
    expect(() => net.connect({ host: '169.254.169.254', port: 80 })).toThrow(/egress blocked/);
    expect(() => tls.connect({ host: 'login.microsoftonline.com', port: 443 })).toThrow(/egress blocked/);
  });

  it('refuses DNS lookups of non-loopback names, callback and promise forms, and resolvers', async () => {
    expect(() => dns.lookup('management.azure.com', () => undefined)).toThrow(/egress blocked/);
    await expect(dns.promises.lookup('login.microsoftonline.com')).rejects.toThrow(/egress blocked/);
    expect(() => dns.resolve4('example.com', () => undefined)).toThrow(/egress blocked/);
    expect(() => new dns.promises.Resolver().resolve4('example.com')).toThrow(/egress blocked/);
  });

  it('makes http and fetch to the internet fail, with the guard as the cause', async () => {
    expect(() => http.get('http://example.com/')).toThrow(/egress blocked/);
    const err = await fetch('https://management.azure.com/subscriptions?api-version=2022-12-01').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(String((err as { cause?: unknown }).cause)).toMatch(/egress blocked/);
  });

  it('lets loopback through: the sandbox answers over TLS trusted via NODE_EXTRA_CA_CERTS', async () => {
    const s = sandboxInfo();
    expect(process.env.NODE_EXTRA_CA_CERTS).toBe(s.caBundlePath);
    const res = await fetch(`${s.origin}/${s.tenant.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { issuer: string }).issuer).toBe(`${s.origin}/${s.tenant.tenantId}/v2.0`);
  });

  it('is preloaded into child processes a test spawns', async () => {
    const script = "require('node:net').connect(443, '8.8.8.8')";
    const run = promisify(execFile)(process.execPath, ['-e', script], { env: process.env, timeout: 20_000 });
    await expect(run).rejects.toMatchObject({ stderr: expect.stringMatching(/egress blocked/) });
  });
});
