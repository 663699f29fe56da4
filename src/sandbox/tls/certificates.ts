import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** An RSA key pair as PEM; generated natively (fast) and handed to node-forge for signing. */
export interface PemKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateRsaKeyPair(bits = 2048): PemKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

// A positive serial: X.509 serials are signed integers, so the top bit stays clear.
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore.getTime() + days * 24 * 60 * 60 * 1000);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
}

export interface IssuedCertificate extends PemKeyPair {
  certificatePem: string;
}

/** A self-signed root that signs only the sandbox's server certificate. */
export function createCertificateAuthority(commonName: string, days: number): IssuedCertificate {
  const keys = generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serialNumber();
  validity(cert, days);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'Elevate sandbox (local development only)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { ...keys, certificatePem: forge.pki.certificateToPem(cert) };
}

/** A TLS server certificate for the loopback names, signed by the sandbox CA. */
export function createServerCertificate(
  ca: { certificatePem: string; privateKeyPem: string },
  hosts: { dnsNames: string[]; ipAddresses: string[] },
  days: number,
): IssuedCertificate {
  const keys = generateRsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certificatePem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serialNumber();
  validity(cert, days);
  cert.setSubject([{ name: 'commonName', value: hosts.dnsNames[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...hosts.dnsNames.map((value) => ({ type: 2, value })),
        ...hosts.ipAddresses.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.privateKeyPem), forge.md.sha256.create());
  return { ...keys, certificatePem: forge.pki.certificateToPem(cert) };
}

/** A self-signed certificate around a key, as Entra publishes in `x5c` and apps register as key credentials. */
export function createSelfSignedCertificate(keys: PemKeyPair, commonName: string, days: number): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = serialNumber();
  validity(cert, days);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true }]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/** Validity window of a PEM certificate. */
export function certificateValidity(certificatePem: string): { notBefore: Date; notAfter: Date } {
  const cert = forge.pki.certificateFromPem(certificatePem);
  return { notBefore: cert.validity.notBefore, notAfter: cert.validity.notAfter };
}

/** True when `certificatePem` was signed by `caPem`'s key (so a stale pair is detected). */
export function isIssuedBy(certificatePem: string, caPem: string): boolean {
  try {
    return forge.pki.certificateFromPem(caPem).verify(forge.pki.certificateFromPem(certificatePem));
  } catch {
    return false;
  }
}
