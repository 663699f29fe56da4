import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';
import { certificateValidity, createCertificateAuthority, createServerCertificate, isIssuedBy } from './certificates.ts';

/**
 * The sandbox's TLS material under its data directory: a local CA (`ca.pem`, `ca-key.pem`) and
 * the server certificate it signs (`server.pem`, `server-key.pem`) for localhost, 127.0.0.1 and
 * ::1. Created on first start and reused after, so a CA the developer already trusts (or that
 * NODE_EXTRA_CA_CERTS names) keeps working across restarts; regenerated when missing, expiring
 * or no longer matching each other.
 */
export interface SandboxTlsFiles {
  caCertPath: string;
  caKeyPath: string;
  serverCertPath: string;
  serverKeyPath: string;
}

export interface SandboxTlsMaterial extends SandboxTlsFiles {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** true when this call created a new CA (clients that trusted the old one must be restarted) */
  createdCa: boolean;
}

const CA_DAYS = 825;
const SERVER_DAYS = 397;
/** Renew a little before expiry rather than at the last second. */
const RENEW_BEFORE_MS = 7 * 24 * 60 * 60 * 1000;

export const SERVER_HOSTS = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] };

export function sandboxTlsFiles(dataDir: string): SandboxTlsFiles {
  const dir = resolve(dataDir);
  return {
    caCertPath: join(dir, 'ca.pem'),
    caKeyPath: join(dir, 'ca-key.pem'),
    serverCertPath: join(dir, 'server.pem'),
    serverKeyPath: join(dir, 'server-key.pem'),
  };
}

function readIfPresent(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function stillValid(pem: string | undefined, now: number): boolean {
  if (!pem) return false;
  try {
    const { notBefore, notAfter } = certificateValidity(pem);
    return notBefore.getTime() <= now && notAfter.getTime() - RENEW_BEFORE_MS > now;
  } catch {
    return false;
  }
}

export function ensureSandboxTls(dataDir: string, now = Date.now()): SandboxTlsMaterial {
  const files = sandboxTlsFiles(dataDir);
  let caCertPem = readIfPresent(files.caCertPath);
  let caKeyPem = readIfPresent(files.caKeyPath);
  let createdCa = false;
  if (!caCertPem || !caKeyPem || !stillValid(caCertPem, now)) {
    const ca = createCertificateAuthority('Elevate Sandbox Local CA', CA_DAYS);
    caCertPem = ca.certificatePem;
    caKeyPem = ca.privateKeyPem;
    writeFileAtomic(files.caKeyPath, caKeyPem, 0o600);
    writeFileAtomic(files.caCertPath, caCertPem);
    createdCa = true;
  }
  let serverCertPem = readIfPresent(files.serverCertPath);
  let serverKeyPem = readIfPresent(files.serverKeyPath);
  if (createdCa || !serverCertPem || !serverKeyPem || !stillValid(serverCertPem, now) || !isIssuedBy(serverCertPem, caCertPem)) {
    const server = createServerCertificate({ certificatePem: caCertPem, privateKeyPem: caKeyPem }, SERVER_HOSTS, SERVER_DAYS);
    serverCertPem = server.certificatePem;
    serverKeyPem = server.privateKeyPem;
    writeFileAtomic(files.serverKeyPath, serverKeyPem, 0o600);
    writeFileAtomic(files.serverCertPath, serverCertPem);
  }
  return { ...files, caCertPem, serverCertPem, serverKeyPem, createdCa };
}
