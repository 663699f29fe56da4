import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxCaBundlePath, writeCaBundle } from '../../src/sandbox/tls/ca-bundle.ts';
import { ensureSandboxTls, sandboxTlsFiles } from '../../src/sandbox/tls/sandbox-tls.ts';

const fresh = () => mkdtempSync(join(tmpdir(), 'elevate-tls-'));

describe('sandbox TLS material', () => {
  it('creates a CA and a loopback server certificate it signs, private keys 0600', () => {
    const dir = fresh();
    const tls = ensureSandboxTls(dir);
    expect(tls.createdCa).toBe(true);
    const ca = new X509Certificate(readFileSync(tls.caCertPath));
    const server = new X509Certificate(readFileSync(tls.serverCertPath));
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.subjectAltName).toContain('DNS:localhost');
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.subjectAltName).toMatch(/IP Address:(::1|0:0:0:0:0:0:0:1)/);
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(statSync(tls.caKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(tls.serverKeyPath).mode & 0o777).toBe(0o600);
  });

  it('reuses what exists, and regenerates when expired or mismatched', () => {
    const dir = fresh();
    const first = ensureSandboxTls(dir);
    const again = ensureSandboxTls(dir);
    expect(again.createdCa).toBe(false);
    expect(again.caCertPem).toBe(first.caCertPem);
    expect(again.serverCertPem).toBe(first.serverCertPem);

    // far in the future both have expired
    const later = ensureSandboxTls(dir, Date.now() + 5 * 365 * 24 * 3600 * 1000);
    expect(later.createdCa).toBe(true);
    expect(later.caCertPem).not.toBe(first.caCertPem);

    // a server certificate from another CA is replaced
    const other = ensureSandboxTls(fresh());
    writeFileSync(sandboxTlsFiles(dir).serverCertPath, other.serverCertPem);
    writeFileSync(sandboxTlsFiles(dir).serverKeyPath, other.serverKeyPem);
    const fixed = ensureSandboxTls(dir);
    expect(fixed.createdCa).toBe(false);
    expect(new X509Certificate(fixed.serverCertPem).checkIssued(new X509Certificate(fixed.caCertPem))).toBe(true);
  });

  it('writes a bundle of the current extra CAs plus the sandbox CA, never including itself', () => {
    const dir = fresh();
    const tls = ensureSandboxTls(dir);
    const corporate = join(fresh(), 'corp.pem');
    const other = ensureSandboxTls(fresh());
    writeFileSync(corporate, other.caCertPem);
    const bundle = writeCaBundle(dir, tls.caCertPem, corporate);
    expect(bundle).toBe(sandboxCaBundlePath(dir));
    const text = readFileSync(bundle, 'utf8');
    expect(text.startsWith(other.caCertPem.trim())).toBe(true);
    expect(text).toContain(tls.caCertPem.trim());

    // re-running with the bundle itself as NODE_EXTRA_CA_CERTS does not nest it
    const rerun = readFileSync(writeCaBundle(dir, tls.caCertPem, bundle), 'utf8');
    expect(rerun.split(tls.caCertPem.trim()).length - 1).toBe(1);
    expect(rerun).not.toContain(other.caCertPem.trim());
  });
});
