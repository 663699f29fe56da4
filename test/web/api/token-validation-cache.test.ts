import { describe, expect, it } from 'vitest';
import { TokenValidationError, type ApiTokenClaims } from '../../../src/azure/api-token-validator.ts';
import { cachedTokenValidator } from '../../../src/web/api/token-validation-cache.ts';
import { exceptOnAgentApi, isAgentApiPath } from '../../../src/web/api/agent-api-paths.ts';

function claims(expiresAt: number): ApiTokenClaims {
  return {
    oid: 'o', tid: 't', sub: 's', clientAppId: 'c', principalType: 'app', roles: [], scopes: [], idtyp: 'app', upn: undefined,
    preferredUsername: undefined, name: undefined, uti: undefined, issuer: 'i', audience: 'a', expiresAt: new Date(expiresAt), authTime: undefined,
  };
}

describe('cachedTokenValidator', () => {
  it('validates a token once, then answers from memory until the token expires', async () => {
    let t = 1_000_000;
    let calls = 0;
    const validate = cachedTokenValidator(async () => (calls++, claims(1_060_000)), { now: () => t });
    await validate('a.b.c');
    await validate('a.b.c');
    expect(calls).toBe(1);
    t = 1_060_000;
    await validate('a.b.c');
    expect(calls).toBe(2);
  });

  it('keeps an entry at most maxAgeMs, so a withdrawn signing key stops counting', async () => {
    let t = 0;
    let calls = 0;
    const validate = cachedTokenValidator(async () => (calls++, claims(3_600_000)), { now: () => t, maxAgeMs: 1000 });
    await validate('x.y.z');
    t = 999;
    await validate('x.y.z');
    t = 1000;
    await validate('x.y.z');
    expect(calls).toBe(2);
  });

  it('never caches a refusal, and tells tokens apart', async () => {
    let calls = 0;
    const validate = cachedTokenValidator(async (token) => {
      calls++;
      if (token === 'bad.bad.bad') throw new TokenValidationError('bad_signature', 'token signature is invalid');
      return claims(Date.now() + 60_000);
    });
    await expect(validate('bad.bad.bad')).rejects.toThrow(TokenValidationError);
    await expect(validate('bad.bad.bad')).rejects.toThrow(TokenValidationError);
    await validate('good.good.good');
    await validate('good.good.goo');
    expect(calls).toBe(4);
  });

  it('is bounded', async () => {
    let calls = 0;
    const validate = cachedTokenValidator(async () => (calls++, claims(Date.now() + 60_000)), { maxEntries: 2 });
    for (const t of ['a', 'b', 'c', 'a']) await validate(`${t}.x.y`);
    expect(calls).toBe(4);
  });
});

describe('agent API paths', () => {
  it('skips browser middleware on the agent API only', () => {
    for (const p of ['/api/v1/operations', '/api/v1/operations/abc/cancel', '/api/v1/decisions', '/api/v1/openapi.json']) expect(isAgentApiPath(p)).toBe(true);
    for (const p of ['/', '/auth/signin', '/api/v1/approvals', '/api/v1/operationsx', '/approvals/operations']) expect(isAgentApiPath(p)).toBe(false);
    let ran = 0;
    let passed = 0;
    const m = exceptOnAgentApi(((_req: unknown, _res: unknown, next: () => void) => (ran++, next())) as never);
    m({ path: '/api/v1/decisions' } as never, {} as never, () => passed++);
    m({ path: '/auth/signin' } as never, {} as never, () => passed++);
    expect([ran, passed]).toEqual([1, 2]);
  });
});
