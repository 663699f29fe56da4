import { describe, expect, it } from 'vitest';
import type { ApiTokenClaims } from '../../src/azure/api-token-validator.ts';
import { policies } from '../levels/level-fixtures.ts';
import { parseWith, shippedTexts } from '../policies/policy-fixtures.ts';
import { delegatedApiCaller } from '../../src/signin/delegated-api-caller.ts';

const TENANT = '11111111-2222-3333-4444-555555555555';
const OID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

function claims(over: Partial<ApiTokenClaims> = {}): ApiTokenClaims {
  return {
    oid: OID, tid: TENANT, sub: 's', clientAppId: 'cli', principalType: 'user', roles: ['SREAgent.Administrator'], scopes: ['user_impersonation'],
    idtyp: 'user', upn: undefined, preferredUsername: 'ada@contoso.example', name: 'Ada', uti: 'u', issuer: `https://login/${TENANT}/v2.0`, audience: 'elevate',
    expiresAt: new Date(0), authTime: undefined, issuedAt: 100, idp: undefined, acct: undefined, ...over,
  };
}

const NO_GROUPS = { groups: [], reading: { source: 'unmapped' as const } };
const ctx = { tenantId: TENANT, policies, nowSeconds: 1000, memberships: NO_GROUPS };
const listed = (groups: string[]) => ({ groups, reading: { source: 'listed' as const } });

describe('delegatedApiCaller', () => {
  it('maps roles by group as browser sign-in does, so an administrator by group approves from the CLI too', () => {
    const ADMINS = '8a0c6f0e-1b2c-4d3e-9f40-5a6b7c8d9e0f';
    const byGroup = parseWith({ 'service-roles.yaml': shippedTexts()['service-roles.yaml'].replace('groups: []', `groups: [${ADMINS}]`) });
    const r = delegatedApiCaller(claims({ roles: [] }), { ...ctx, policies: byGroup, memberships: listed([ADMINS]) });
    expect(r).toMatchObject({ ok: true, user: { roles: ['administrator'] } });
    expect(delegatedApiCaller(claims({ roles: [] }), { ...ctx, policies: byGroup, memberships: listed(['ffffffff-ffff-ffff-ffff-ffffffffffff']) })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses with groups-unresolved when the overage could not be looked up, and says why the groups were not seen when the token had no group claim', () => {
    const unreadable = delegatedApiCaller(claims({ roles: [] }), { ...ctx, memberships: { groups: [], reading: { source: 'unreadable', why: 'Microsoft Graph checkMemberGroups answered 503' } } });
    expect(unreadable).toMatchObject({ ok: false, status: 403, code: 'groups-unresolved' });
    expect((unreadable as { message: string }).message).toMatch(/more than 200 groups.*answered 503/);
    const absent = delegatedApiCaller(claims({ roles: [] }), { ...ctx, memberships: { groups: [], reading: { source: 'absent' } } });
    expect(absent).toMatchObject({ ok: false, status: 403, code: 'no-role' });
    expect((absent as { message: string }).message).toContain('carried no group claim');
  });


  it('accepts a member administrator with the delegated scope and keeps only identity fields', () => {
    const r = delegatedApiCaller(claims(), ctx);
    expect(r).toEqual({ ok: true, user: { oid: OID, tid: TENANT, upn: 'ada@contoso.example', name: 'Ada', roles: ['administrator'], authTime: null, signedInAt: 1000, homeTenantId: TENANT } });
  });

  it.each([
    ['an app-only token', { principalType: 'app' as const, scopes: [] }, 'not_delegated'],
    ['an idtyp app token that carries scp', { idtyp: 'app' }, 'not_delegated'],
    ['a token without user_impersonation', { scopes: ['other'] }, 'insufficient_scope'],
    ['a personal account (idp live.com)', { idp: 'live.com' }, 'personal-account'],
    ['a guest (idp of another tenant)', { idp: 'https://sts.windows.net/99999999-2222-3333-4444-555555555555/' }, 'guest-account'],
    ['a guest named only by acct = 1', { acct: 1 }, 'guest-account'],
    ['another tenant', { tid: '99999999-2222-3333-4444-555555555555' }, 'wrong-tenant'],
    ['no role', { roles: [] }, 'no-role'],
    ['a Standard User', { roles: ['SREAgent.StandardUser'] }, 'not_administrator'],
  ])('refuses %s', (_label, over, code) => {
    const r = delegatedApiCaller(claims(over as Partial<ApiTokenClaims>), ctx);
    expect(r).toMatchObject({ ok: false, status: 403, code });
  });
});
