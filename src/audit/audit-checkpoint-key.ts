/**
 * The Ed25519 key that signs audit checkpoints. It lives in a file outside the database
 * (ELEVATE_AUDIT_CHECKPOINT_KEY), created with mode 0600 on first use; someone who can rewrite
 * the database but not read this file cannot make a checkpoint that verifies. A file holding
 * only the public key (SPKI PEM) is enough to verify, e.g. on an auditor's machine.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface CheckpointKey {
  /** Absent when the file holds only the public key: verification only. */
  privateKey: KeyObject | undefined;
  publicKey: KeyObject;
  /** First 16 hex characters of SHA-256 over the public key (SPKI DER): names the key in checkpoints. */
  keyId: string;
  path: string;
}

export class CheckpointKeyError extends Error {
  override name = 'CheckpointKeyError';
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

function create(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  let fd: number;
  try {
    // 'wx': never overwrite a key another process created a moment ago.
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new CheckpointKeyError(`cannot create checkpoint key ${path}: ${(err as Error).message}`);
  }
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Loads the key at `path`; with `create`, makes a new one there first when the file is missing.
 * Refuses a private key that group or others can read, as ssh does.
 */
export function loadCheckpointKey(path: string, options: { create?: boolean } = {}): CheckpointKey {
  if (!existsSync(path)) {
    if (!options.create) throw new CheckpointKeyError(`checkpoint key ${path} does not exist`);
    create(path);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CheckpointKeyError(`cannot read checkpoint key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (text.includes('PRIVATE KEY')) {
    const mode = statSync(path).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new CheckpointKeyError(`checkpoint key ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`);
    }
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey(text);
    } catch {
      throw new CheckpointKeyError(`checkpoint key ${path} is not a PEM private key`);
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new CheckpointKeyError(`checkpoint key ${path} is not an Ed25519 key`);
    const publicKey = createPublicKey(privateKey);
    return { privateKey, publicKey, keyId: keyIdOf(publicKey), path };
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(text);
  } catch {
    throw new CheckpointKeyError(`checkpoint key ${path} is not a PEM key`);
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new CheckpointKeyError(`checkpoint key ${path} is not an Ed25519 key`);
  return { privateKey: undefined, publicKey, keyId: keyIdOf(publicKey), path };
}

/** The public half as PEM, to hand to whoever verifies without the private key. */
export function publicKeyPem(key: CheckpointKey): string {
  return key.publicKey.export({ type: 'spki', format: 'pem' }) as string;
}
