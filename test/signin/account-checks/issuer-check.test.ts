import { describe, expect, it } from 'vitest';
import { issuerCheck } from '../../../src/signin/account-checks/issuer-check.ts';
import { context, ISSUER, memberClaims, OTHER_TENANT, TENANT } from './fixtures.ts';

describe('issuerCheck', () => {
  it('passes the configured v2.0 issuer', () => {
    expect(issuerCheck(context(memberClaims()))).toBeUndefined();
  });

  it.each([
    ['another tenant', `https://login.example/${OTHER_TENANT}/v2.0`],
    ['the v1 issuer', `https://sts.windows.net/${TENANT}/`],
    ['a trailing slash', `${ISSUER}/`],
    ['no issuer', undefined],
  ])('refuses %s', (_label, iss) => {
    expect(issuerCheck(context(memberClaims({ iss }))))?.toMatchObject({ reason: 'wrong-issuer' });
  });
});
