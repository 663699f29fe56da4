import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import { createApiTokenValidator, TokenValidationError, type TokenRejection } from '../../src/azure/api-token-validator.ts';

const TENANT = 'aaaaaaaa-0000-4000-8000-000000000001';
const OTHER_TENANT = 'bbbbbbbb-0000-4000-8000-000000000002';
const CLIENT = 'cccccccc-0000-4000-8000-000000000003';
const AGENT_APP = 'dddddddd-0000-4000-8000-000000000004';
const USER_OID = 'eeeeeeee-0000-4000-8000-000000000005';
const ISSUER = `https://login.example.test/${TENANT}/v2.0`;
const V1_ISSUER = `https://sts.windows.net/${TENANT}/`;

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let server: Server;
let jwksUri: string;
let published: JWK[] = [];
let jwksFetches = 0;
let key1: KeyPair;
let key2: KeyPair;
let stranger: KeyPair;

async function publicJwk(pair: KeyPair, kid: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, use: 'sig', alg: 'RS256' };
}

beforeAll(async () => {
  key1 = await generateKeyPair('RS256', { extractable: true });
  key2 = await generateKeyPair('RS256', { extractable: true });
  stranger = await generateKeyPair('RS256', { extractable: true });
  published = [await publicJwk(key1, 'k1')];
  server = createServer((req, res) => {
    jwksFetches += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/discovery/v2.0/keys`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const now = () => Math.floor(Date.now() / 1000);
function userClaims(over: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: CLIENT, tid: TENANT, oid: USER_OID, sub: 'subject-1', azp: AGENT_APP, scp: 'user_impersonation Elevate.Use', roles: ['SREAgent.Administrator'], uti: 'uti-1', ver: '2.0', iat: now(), nbf: now() - 5, exp: now() + 3600, ...over };
}
async function sign(claims: JWTPayload, pair: KeyPair = key1, header: Record<string, unknown> = { alg: 'RS256', kid: 'k1' }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(pair.privateKey);
}
const validator = (extra: { jwksCooldownMs?: number } = {}) =>
  createApiTokenValidator({ issuers: [ISSUER, V1_ISSUER], tenantId: TENANT, audiences: [CLIENT, `api://${CLIENT}`], jwksUri, clockSkewSeconds: 60, ...extra });

async function rejection(validate: (t: string) => Promise<unknown>, token: string): Promise<TokenRejection> {
  const err = await validate(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenValidationError);
  if (token.length >= 20) expect((err as Error).message).not.toContain(token.slice(0, 20));
  return (err as TokenValidationError).reason;
}
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('createApiTokenValidator', () => {
  it('accepts a delegated v2 token and returns typed claims', async () => {
    const claims = await validator()(await sign(userClaims()));
    expect(claims).toMatchObject({
      oid: USER_OID,
      tid: TENANT,
      clientAppId: AGENT_APP,
      principalType: 'user',
      roles: ['SREAgent.Administrator'],
      scopes: ['user_impersonation', 'Elevate.Use'],
      uti: 'uti-1',
      issuer: ISSUER,
      audience: CLIENT,
    });
    expect(claims.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(claims.groups).toBeUndefined();
    // The groups claim, when the registration emits it (for role mappings by group).
    const withGroups = await validator()(await sign(userClaims({ groups: ['8a0c6f0e-1b2c-4d3e-9f40-5a6b7c8d9e0f'] })));
    expect(withGroups.groups).toEqual(['8a0c6f0e-1b2c-4d3e-9f40-5a6b7c8d9e0f']);
    expect(withGroups.groupClaim).toEqual({ kind: 'listed', groups: ['8a0c6f0e-1b2c-4d3e-9f40-5a6b7c8d9e0f'] });
    expect(claims.groupClaim).toEqual({ kind: 'absent' });
    // beyond 200 groups Entra sends the overage indicator instead of the list
    const overage = await validator()(await sign(userClaims({ _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: `https://graph.windows.net/${TENANT}/users/${USER_OID}/getMemberObjects` } } })));
    expect(overage.groups).toBeUndefined();
    expect(overage.groupClaim).toEqual({ kind: 'overage' });
  });

  it('accepts a v1 app-only token addressed to the App ID URI', async () => {
    const { scp: _scp, azp: _azp, ...rest } = userClaims({ iss: V1_ISSUER, aud: `api://${CLIENT}`, appid: AGENT_APP, idtyp: 'app', roles: ['Audit.Read'], oid: USER_OID, sub: USER_OID });
    const claims = await validator()(await sign(rest));
    expect(claims.principalType).toBe('app');
    expect(claims.clientAppId).toBe(AGENT_APP);
    expect(claims.scopes).toEqual([]);
    expect(claims.idtyp).toBe('app');
  });

  it('rejects a token from another issuer', async () => {
    expect(await rejection(validator(), await sign(userClaims({ iss: `https://login.example.test/${OTHER_TENANT}/v2.0` })))).toBe('wrong_issuer');
  });

  it('rejects a token whose tid is another tenant even with our issuer', async () => {
    expect(await rejection(validator(), await sign(userClaims({ tid: OTHER_TENANT })))).toBe('wrong_tenant');
  });

  it('rejects a token for another audience (e.g. an ARM token replayed at Elevate)', async () => {
    expect(await rejection(validator(), await sign(userClaims({ aud: 'https://management.azure.com' })))).toBe('wrong_audience');
  });

  it('rejects expired and not-yet-valid tokens beyond the clock skew', async () => {
    expect(await rejection(validator(), await sign(userClaims({ exp: now() - 120, iat: now() - 4000, nbf: now() - 4000 })))).toBe('expired');
    expect(await rejection(validator(), await sign(userClaims({ nbf: now() + 600 })))).toBe('not_yet_valid');
  });

  it('tolerates a small clock skew', async () => {
    await expect(validator()(await sign(userClaims({ exp: now() - 30 })))).resolves.toMatchObject({ oid: USER_OID });
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await sign(userClaims())).split('.');
    const forged = `${h}.${b64(userClaims({ roles: ['SREAgent.Administrator', 'Audit.Read'], oid: 'ffffffff-0000-4000-8000-000000000000' }))}.${s}`;
    expect(await rejection(validator(), forged)).toBe('bad_signature');
  });

  it('rejects alg none', async () => {
    const token = `${b64({ alg: 'none', kid: 'k1' })}.${b64(userClaims())}.`;
    expect(await rejection(validator(), token)).toBe('malformed');
    const withSig = `${b64({ alg: 'none', kid: 'k1' })}.${b64(userClaims())}.AAAA`;
    expect(await rejection(validator(), withSig)).toBe('algorithm_not_allowed');
  });

  it('rejects HS256 (a token MACed with the public key or any shared secret)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(published[0]));
    const token = await new SignJWT(userClaims()).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(secret);
    expect(await rejection(validator(), token)).toBe('algorithm_not_allowed');
  });

  it('rejects a token without kid', async () => {
    expect(await rejection(validator(), await sign(userClaims(), key1, { alg: 'RS256' }))).toBe('missing_kid');
  });

  it('rejects a token signed by a key the tenant does not publish, even reusing a known kid', async () => {
    expect(await rejection(validator(), await sign(userClaims(), stranger, { alg: 'RS256', kid: 'k1' }))).toBe('bad_signature');
    expect(await rejection(validator({ jwksCooldownMs: 0 }), await sign(userClaims(), stranger, { alg: 'RS256', kid: 'evil' }))).toBe('unknown_key');
  });

  it('rejects missing oid/tid/azp and non-JWT input', async () => {
    const { oid: _o, ...noOid } = userClaims();
    expect(await rejection(validator(), await sign(noOid))).toBe('missing_claim');
    const { azp: _a, ...noClient } = userClaims();
    expect(await rejection(validator(), await sign(noClient))).toBe('missing_claim');
    expect(await rejection(validator(), await sign(userClaims({ oid: 'not-a-guid' })))).toBe('missing_claim');
    for (const junk of ['', 'Bearer x', 'a.b', 'a.b.c.d', `${'A'.repeat(20000)}.b.c`]) {
      expect(await rejection(validator(), junk)).toBe('malformed');
    }
  });

  it('caches the key set and refetches on an unknown kid (key rollover)', async () => {
    const validate = validator({ jwksCooldownMs: 0 });
    const before = jwksFetches;
    await validate(await sign(userClaims()));
    await validate(await sign(userClaims({ uti: 'uti-2' })));
    expect(jwksFetches - before).toBe(1);

    const rolled = await sign(userClaims({ uti: 'uti-3' }), key2, { alg: 'RS256', kid: 'k2' });
    expect(await rejection(validate, rolled)).toBe('unknown_key');
    published = [await publicJwk(key1, 'k1'), await publicJwk(key2, 'k2')];
    await expect(validate(rolled)).resolves.toMatchObject({ uti: 'uti-3' });
    expect(jwksFetches - before).toBe(3);
    // the retired key stops working once it is no longer published
    published = [await publicJwk(key2, 'k2')];
    const retired = await sign(userClaims(), key1, { alg: 'RS256', kid: 'k1' });
    await expect(validate(retired)).resolves.toBeDefined(); // still cached: the JWKS is not refetched for a known kid
    const fresh = validator({ jwksCooldownMs: 0 });
    expect(await rejection(fresh, retired)).toBe('unknown_key');
    published = [await publicJwk(key1, 'k1')];
  });

  it('fails closed when the key set cannot be fetched', async () => {
    const unreachable = createApiTokenValidator({ issuers: [ISSUER], tenantId: TENANT, audiences: [CLIENT], jwksUri: 'http://127.0.0.1:1/keys' });
    expect(await rejection(unreachable, await sign(userClaims()))).toBe('keys_unavailable');
  });
});
