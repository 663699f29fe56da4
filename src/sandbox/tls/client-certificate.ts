import { createHash, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RegisteredCertificate } from '../state/directory.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { certificateValidity, createSelfSignedCertificate, generateRsaKeyPair } from './certificates.ts';

/**
 * A certificate credential for a seeded app registration, generated under the data directory on
 * first start (`<stem>.pem`, `<stem>-key.pem`, 0600) so that no private key lives in the
 * repository; the app accepts client assertions signed with it.
 */
export interface ClientCertificateFiles {
  certificatePath: string;
  privateKeyPath: string;
  /** base64url SHA-1 thumbprint (JWT `x5t`) */
  x5t: string;
  /** hex SHA-1 thumbprint, as the Azure portal shows it and MSAL's `thumbprint` option takes */
  thumbprintSha1Hex: string;
  /** hex SHA-256 thumbprint (MSAL's `thumbprintSha256`) */
  thumbprintSha256Hex: string;
}

export function clientCertificatePaths(dataDir: string, stem: string): { certificatePath: string; privateKeyPath: string } {
  const dir = resolve(dataDir);
  return { certificatePath: join(dir, `${stem}.pem`), privateKeyPath: join(dir, `${stem}-key.pem`) };
}

export function ensureClientCertificate(dataDir: string, stem: string): { files: ClientCertificateFiles; registered: RegisteredCertificate } {
  const paths = clientCertificatePaths(dataDir, stem);
  let certPem = existsSync(paths.certificatePath) ? readFileSync(paths.certificatePath, 'utf8') : undefined;
  const keyPresent = existsSync(paths.privateKeyPath);
  const valid = certPem !== undefined && keyPresent && certificateValidity(certPem).notAfter.getTime() > Date.now() + 24 * 60 * 60 * 1000;
  if (!valid) {
    const keys = generateRsaKeyPair();
    certPem = createSelfSignedCertificate(keys, `${stem}.sandbox.elevate.local`, 730);
    // PKCS#8 (BEGIN PRIVATE KEY), the form MSAL's clientCertificate.privateKey documents
    const pkcs8 = createPrivateKey(keys.privateKeyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileAtomic(paths.privateKeyPath, pkcs8, 0o600);
    writeFileAtomic(paths.certificatePath, certPem);
  } else {
    const keyPem = readFileSync(paths.privateKeyPath, 'utf8');
    if (!keyPem.includes('BEGIN PRIVATE KEY')) writeFileAtomic(paths.privateKeyPath, createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  }
  const der = new X509Certificate(certPem!).raw;
  const sha1 = createHash('sha1').update(der).digest();
  const sha256 = createHash('sha256').update(der).digest();
  return {
    files: { ...paths, x5t: sha1.toString('base64url'), thumbprintSha1Hex: sha1.toString('hex').toUpperCase(), thumbprintSha256Hex: sha256.toString('hex').toUpperCase() },
    registered: { x5t: sha1.toString('base64url'), x5tS256: sha256.toString('base64url'), publicKey: createPublicKey(certPem!) },
  };
}
