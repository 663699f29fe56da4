import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT, type JWTPayload } from 'jose';
import { signingKeysPath } from '../../src/sandbox/keys/signing-keys.ts';
import { sandboxInfo } from './sandbox-context.ts';

/**
 * Mints tokens with the shared sandbox's own current signing key (read from its data directory),
 * for cases the SDKs cannot produce on demand: an already-expired token, chosen claims. A token
 * from here verifies exactly like one the sandbox issued.
 */
export async function forgeSandboxToken(claims: JWTPayload, opts: { dataDir?: string } = {}): Promise<string> {
  const file = JSON.parse(readFileSync(signingKeysPath(opts.dataDir ?? sandboxInfo().dataDir), 'utf8')) as {
    keys: Array<{ kid: string; privateKeyPem: string; retiredAt?: number }>;
  };
  const key = file.keys.find((k) => k.retiredAt === undefined)!;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, x5t: key.kid }).sign(createPrivateKey(key.privateKeyPem));
}

/** Same claims, signed by a key the sandbox has never seen but carrying a kid it knows. */
export async function forgeWithForeignKey(claims: JWTPayload, kid: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(privateKey);
}

/** Flips one character of the signature part. */
export function tamperSignature(token: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  const i = Math.floor(s.length / 2);
  const flipped = s[i] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${s.slice(0, i)}${flipped}${s.slice(i + 1)}`;
}

export function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
