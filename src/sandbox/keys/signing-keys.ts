import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../tls/atomic-file.ts';
import { createSelfSignedCertificate, generateRsaKeyPair } from '../tls/certificates.ts';

/**
 * The token-signing keys of the sandbox's Entra. Kept in `signing-keys.json` (0600) under the data
 * directory so tokens survive a restart of the sandbox, like Entra's do. Rotation makes a new key
 * current and keeps the previous ones published in the JWKS, and accepted, for a retention
 * period: that overlap is what lets a relying party pick up the new key by refetching the JWKS
 * when it meets an unknown `kid`.
 */
interface StoredKey {
  kid: string;
  privateKeyPem: string;
  certificatePem: string;
  createdAt: number;
  retiredAt?: number;
}

export interface PublicJwk {
  kty: string;
  use: 'sig';
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
}

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

const MAX_KEYS = 3;
export const DEFAULT_RETIRED_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;

function thumbprint(certificatePem: string): string {
  const der = new X509Certificate(certificatePem).raw;
  return createHash('sha1').update(der).digest('base64url');
}

function newKey(now: number): StoredKey {
  const keys = generateRsaKeyPair();
  const certificatePem = createSelfSignedCertificate(keys, 'accounts.sandbox.elevate.local', 5 * 365);
  return { kid: thumbprint(certificatePem), privateKeyPem: keys.privateKeyPem, certificatePem, createdAt: now };
}

export class SigningKeyStore {
  private keys: StoredKey[];
  private readonly publicKeys = new Map<string, KeyObject>();
  private readonly privateKeys = new Map<string, KeyObject>();

  private constructor(
    private readonly file: string,
    keys: StoredKey[],
    private readonly retentionMs: number,
    private readonly now: () => number,
  ) {
    this.keys = keys;
  }

  /** Loads the keys under `dataDir`, creating the first one when there is none. */
  static open(dataDir: string, options: { retentionMs?: number; now?: () => number } = {}): SigningKeyStore {
    const file = join(resolve(dataDir), 'signing-keys.json');
    const now = options.now ?? Date.now;
    let keys: StoredKey[] = [];
    if (existsSync(file)) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keys?: StoredKey[] };
        keys = (parsed.keys ?? []).filter((k) => typeof k.kid === 'string' && typeof k.privateKeyPem === 'string' && typeof k.certificatePem === 'string');
      } catch {
        keys = [];
      }
    }
    const store = new SigningKeyStore(file, keys, options.retentionMs ?? DEFAULT_RETIRED_KEY_RETENTION_MS, now);
    if (!store.keys.some((k) => k.retiredAt === undefined)) {
      store.keys.push(newKey(now()));
      store.persist();
    }
    return store;
  }

  private persist(): void {
    writeFileAtomic(this.file, `${JSON.stringify({ keys: this.keys }, null, 2)}\n`, 0o600);
  }

  /** Keys still published: the current one and retired ones within the retention period. */
  private published(): StoredKey[] {
    const t = this.now();
    return this.keys.filter((k) => k.retiredAt === undefined || t - k.retiredAt < this.retentionMs);
  }

  current(): SigningKey {
    const key = this.keys.find((k) => k.retiredAt === undefined)!;
    let privateKey = this.privateKeys.get(key.kid);
    if (!privateKey) {
      privateKey = createPrivateKey(key.privateKeyPem);
      this.privateKeys.set(key.kid, privateKey);
    }
    return { kid: key.kid, privateKey };
  }

  /** Makes a fresh key current; the old one stays published for the retention period. */
  rotate(): { kid: string; previousKid: string } {
    const t = this.now();
    const previous = this.current();
    for (const k of this.keys) if (k.retiredAt === undefined) k.retiredAt = t;
    const fresh = newKey(t);
    this.keys = [fresh, ...this.published().filter((k) => k.kid !== fresh.kid)].slice(0, MAX_KEYS);
    this.persist();
    return { kid: fresh.kid, previousKid: previous.kid };
  }

  /** The public key for `kid` while it is published, for verifying tokens the sandbox issued. */
  verificationKey(kid: string): KeyObject | undefined {
    const key = this.published().find((k) => k.kid === kid);
    if (!key) return undefined;
    let pub = this.publicKeys.get(kid);
    if (!pub) {
      pub = createPublicKey(key.privateKeyPem);
      this.publicKeys.set(kid, pub);
    }
    return pub;
  }

  jwks(): { keys: PublicJwk[] } {
    return {
      keys: this.published().map((k) => {
        const jwk = createPublicKey(k.privateKeyPem).export({ format: 'jwk' }) as { kty: string; n: string; e: string };
        const der = new X509Certificate(k.certificatePem).raw.toString('base64');
        return { kty: jwk.kty, use: 'sig', kid: k.kid, x5t: k.kid, n: jwk.n, e: jwk.e, x5c: [der] };
      }),
    };
  }
}

/** Path of the key file, for test helpers that forge tokens with the sandbox's own key. */
export function signingKeysPath(dataDir: string): string {
  return join(resolve(dataDir), 'signing-keys.json');
}
