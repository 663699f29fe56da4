import { describe, expect, it } from 'vitest';
import { runAccountChecks } from '../../../src/signin/account-checks/account-check-pipeline.ts';
import type { AccountCheck } from '../../../src/signin/account-checks/account-check.ts';
import { context, memberClaims, OTHER_TENANT, PERSONAL } from './fixtures.ts';

describe('runAccountChecks', () => {
  it('passes a member of the tenant with a role', () => {
    expect(runAccountChecks(context(memberClaims()))).toBeUndefined();
  });

  it('tells a personal account it is one, not that it is in the wrong tenant', () => {
    const claims = memberClaims({ tid: PERSONAL, iss: `https://login.example/${PERSONAL}/v2.0`, idp: 'live.com' });
    expect(runAccountChecks(context(claims))?.reason).toBe('personal-account');
  });

  it('tells a guest it is one, even though it holds the Administrator role', () => {
    const claims = memberClaims({ idp: `https://sts.windows.net/${OTHER_TENANT}/`, acct: 1 });
    expect(runAccountChecks(context(claims))?.reason).toBe('guest-account');
  });

  it('refuses a member of another tenant as wrong-issuer', () => {
    const claims = memberClaims({ tid: OTHER_TENANT, iss: `https://login.example/${OTHER_TENANT}/v2.0` });
    expect(runAccountChecks(context(claims))?.reason).toBe('wrong-issuer');
  });

  it('refuses a token whose tid differs from its issuer tenant', () => {
    expect(runAccountChecks(context(memberClaims({ tid: OTHER_TENANT })))?.reason).toBe('wrong-tenant');
  });

  it('refuses a sign-in whose home directory is unknown (no client_info), failing closed', () => {
    expect(runAccountChecks(context(memberClaims(), ['administrator'], null))?.reason).toBe('unknown-home-tenant');
  });

  it('tells a guest without idp or acct it is a guest, from its home tenant', () => {
    expect(runAccountChecks(context(memberClaims(), ['administrator'], { oid: '0f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b', tenantId: OTHER_TENANT }))?.reason).toBe('guest-account');
  });

  it('refuses a member without a role last', () => {
    expect(runAccountChecks(context(memberClaims({ roles: [] }), []))?.reason).toBe('no-role');
  });

  it('stops at the first refusal', () => {
    const seen: string[] = [];
    const pass: AccountCheck = () => {
      seen.push('pass');
      return undefined;
    };
    const refuse: AccountCheck = () => {
      seen.push('refuse');
      return { reason: 'no-role', explanation: 'x' };
    };
    const never: AccountCheck = () => {
      seen.push('never');
      return undefined;
    };
    expect(runAccountChecks(context(memberClaims()), [pass, refuse, never])?.reason).toBe('no-role');
    expect(seen).toEqual(['pass', 'refuse']);
  });
});
