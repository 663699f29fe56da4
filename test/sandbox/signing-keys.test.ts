import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifySandboxToken } from '../../src/sandbox/entra/token-verifier.ts';
import { SigningKeyStore, signingKeysPath } from '../../src/sandbox/keys/signing-keys.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'elevate-keys-'));
const sign = async (store: SigningKeyStore, exp = Math.floor(Date.now() / 1000) + 600) => {
  const k = store.current();
  return new SignJWT({ sub: 'x', exp }).setProtectedHeader({ alg: 'RS256', kid: k.kid }).sign(k.privateKey);
};

describe('signing keys and rollover', () => {
  it('persists the key (0600) so tokens survive a restart', async () => {
    const d = dir();
    const a = SigningKeyStore.open(d);
    const token = await sign(a);
    expect(statSync(signingKeysPath(d)).mode & 0o777).toBe(0o600);
    const b = SigningKeyStore.open(d);
    expect(b.current().kid).toBe(a.current().kid);
    expect((await verifySandboxToken(token, b)).ok).toBe(true);
  });

  it('rotates: the new key signs, the old one stays published and valid until retention ends', async () => {
    let now = Date.now();
    const store = SigningKeyStore.open(dir(), { retentionMs: 60_000, now: () => now });
    const oldToken = await sign(store);
    const { kid, previousKid } = store.rotate();
    expect(kid).not.toBe(previousKid);
    expect(store.current().kid).toBe(kid);
    expect(store.jwks().keys.map((k) => k.kid)).toEqual([kid, previousKid]);
    expect((await verifySandboxToken(oldToken, store)).ok).toBe(true);
    expect((await verifySandboxToken(await sign(store), store)).ok).toBe(true);

    now += 61_000;
    expect(store.jwks().keys.map((k) => k.kid)).toEqual([kid]);
    expect(await verifySandboxToken(oldToken, store)).toMatchObject({ ok: false, reason: 'unknown_key' });
  });

  it('publishes RSA signing JWKs with x5t/x5c and no private parts', () => {
    const store = SigningKeyStore.open(dir());
    const [jwk] = store.jwks().keys;
    expect(jwk).toMatchObject({ kty: 'RSA', use: 'sig', kid: jwk!.x5t });
    expect(jwk!.x5c[0]).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(Object.keys(jwk!)).not.toContain('d');
  });

  it('refuses tokens with another algorithm, no kid, a bad signature or past expiry', async () => {
    const store = SigningKeyStore.open(dir());
    const k = store.current();
    const hs = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256', kid: k.kid }).sign(new TextEncoder().encode('secret-secret-secret-secret-1234'));
    expect(await verifySandboxToken(hs, store)).toMatchObject({ ok: false, reason: 'unsupported_alg' });
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: k.kid })).toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`;
    expect(await verifySandboxToken(none, store)).toMatchObject({ ok: false, reason: 'malformed' });
    const noKid = await new SignJWT({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'RS256' }).sign(k.privateKey);
    expect(await verifySandboxToken(noKid, store)).toMatchObject({ ok: false, reason: 'unknown_key' });
    expect(await verifySandboxToken(await sign(store, Math.floor(Date.now() / 1000) - 1), store)).toMatchObject({ ok: false, reason: 'expired' });
    const good = await sign(store);
    const [h, p] = good.split('.');
    const other = await sign(SigningKeyStore.open(dir()));
    expect(await verifySandboxToken(`${h}.${p}.${other.split('.')[2]}`, store)).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(await verifySandboxToken('x'.repeat(20_000), store)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
