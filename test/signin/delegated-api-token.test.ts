import { inspect } from 'node:util';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiTokenValidator, type ApiTokenValidator } from '../../src/azure/api-token-validator.ts';
import { ApiTokenError, delegatedApiTokenFrom } from '../../src/signin/delegated-api-token.ts';

const TENANT = '26d07dfe-13eb-44c6-bbdf-5d359fd60c0c';
const CLIENT = '53bf064d-c659-4749-839e-d56b96eaae54';
const ISSUER = `https://login.example/${TENANT}/v2.0`;
const ADA = '60ca6263-4c86-46fc-b376-b14ef1e7ff91';
const GRACE = '5888aaf0-640d-4668-b759-348bd0c5893a';

let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let validate: ApiTokenValidator;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  validate = createApiTokenValidator({
    issuers: [ISSUER],
    tenantId: TENANT,
    audiences: [CLIENT, `api://${CLIENT}`],
    jwksUri: 'https://unused.invalid/keys',
    keySet: createLocalJWKSet({ keys: [jwk] }),
  });
});

function token(claims: JWTPayload = {}): Promise<string> {
  return new SignJWT({ tid: TENANT, oid: ADA, azp: CLIENT, scp: 'user_impersonation', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISSUER)
    .setAudience(CLIENT)
    .setSubject('sub-ada')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
}

describe('delegatedApiTokenFrom', () => {
  it('accepts a delegated token for the signed-in user and never prints it', async () => {
    const raw = await token();
    const delegated = await delegatedApiTokenFrom(raw, validate, { oid: ADA, requiredScope: 'user_impersonation' });
    expect(delegated.reveal()).toBe(raw);
    expect(delegated.oid).toBe(ADA);
    expect(delegated.scopes).toEqual(['user_impersonation']);
    expect(JSON.stringify({ delegated })).not.toContain(raw.slice(0, 20));
    expect(inspect({ delegated })).not.toContain(raw.slice(0, 20));
    expect(`${delegated}`).toBe('[delegated-api-token]');
  });

  it('refuses a token for another user than the ID token', async () => {
    await expect(delegatedApiTokenFrom(await token({ oid: GRACE }), validate, { oid: ADA, requiredScope: 'user_impersonation' }))
      .rejects.toThrow(/another user/);
  });

  it('refuses a token without the delegated scope', async () => {
    await expect(delegatedApiTokenFrom(await token({ scp: 'other.scope' }), validate, { oid: ADA, requiredScope: 'user_impersonation' }))
      .rejects.toThrow(/lacks the user_impersonation scope/);
  });

  it('refuses an app-only token', async () => {
    await expect(delegatedApiTokenFrom(await token({ scp: undefined, roles: ['Audit.Read'] }), validate, { oid: ADA, requiredScope: 'user_impersonation' }))
      .rejects.toThrow(/not delegated/);
  });

  it('refuses a token signed by another key, without echoing it', async () => {
    const other = await generateKeyPair('RS256');
    const forged = await new SignJWT({ tid: TENANT, oid: ADA, azp: CLIENT, scp: 'user_impersonation' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(CLIENT)
      .setSubject('sub-ada')
      .setExpirationTime('1h')
      .sign(other.privateKey);
    const err = await delegatedApiTokenFrom(forged, validate, { oid: ADA, requiredScope: 'user_impersonation' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiTokenError);
    expect((err as Error).message).toMatch(/bad_signature/);
    expect((err as Error).message).not.toContain(forged.slice(0, 20));
  });

  it('refuses a missing token', async () => {
    await expect(delegatedApiTokenFrom(undefined, validate, { oid: ADA, requiredScope: 'user_impersonation' })).rejects.toThrow(/no access token/);
  });
});
