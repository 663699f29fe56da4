import { describe, expect, it } from 'vitest';
import { personalAccountCheck } from '../../../src/signin/account-checks/personal-account-check.ts';
import { context, memberClaims, PERSONAL } from './fixtures.ts';

describe('personalAccountCheck', () => {
  it('passes a work account of the tenant', () => {
    expect(personalAccountCheck(context(memberClaims()))).toBeUndefined();
  });

  it('refuses the consumer tenant id as tid, and says why, even with the Administrator role', () => {
    const refusal = personalAccountCheck(context(memberClaims({ tid: PERSONAL })));
    expect(refusal?.reason).toBe('personal-account');
    expect(refusal?.explanation).toMatch(/personal Microsoft account/);
    expect(refusal?.explanation).toMatch(/work account/);
  });

  it('matches the consumer tenant case-insensitively', () => {
    expect(personalAccountCheck(context(memberClaims({ tid: PERSONAL.toUpperCase() }))))
      .toMatchObject({ reason: 'personal-account' });
  });

  it('refuses an invited personal account whose idp is live.com', () => {
    expect(personalAccountCheck(context(memberClaims({ idp: 'live.com' }))))
      .toMatchObject({ reason: 'personal-account' });
  });

  it('refuses an invited personal account whose idp is the consumer tenant issuer', () => {
    expect(personalAccountCheck(context(memberClaims({ idp: `https://sts.windows.net/${PERSONAL}/` }))))
      .toMatchObject({ reason: 'personal-account' });
  });

  it('recognises an invited personal account whose token lacks idp, by client_info naming the consumers tenant', () => {
    const home = { oid: '00000000-0000-0000-23c3-94dd18bb42ae', tenantId: PERSONAL };
    expect(personalAccountCheck(context(memberClaims(), ['administrator'], home))).toMatchObject({ reason: 'personal-account' });
  });
});
