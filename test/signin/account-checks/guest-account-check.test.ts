import { describe, expect, it } from 'vitest';
import { guestAccountCheck } from '../../../src/signin/account-checks/guest-account-check.ts';
import { context, memberClaims, OTHER_TENANT, TENANT } from './fixtures.ts';

const guestHome = { oid: '0f1e2d3c-4b5a-4987-8a6b-5c4d3e2f1a0b', tenantId: OTHER_TENANT };

describe('guestAccountCheck', () => {
  it('passes a member (no idp, no acct)', () => {
    expect(guestAccountCheck(context(memberClaims()))).toBeUndefined();
  });

  it('passes a member whose acct is 0 and whose idp is the tenant itself', () => {
    expect(guestAccountCheck(context(memberClaims({ acct: 0, idp: `https://sts.windows.net/${TENANT}/` })))).toBeUndefined();
  });

  it('refuses a guest whose idp is another tenant, and says why', () => {
    const refusal = guestAccountCheck(context(memberClaims({ idp: `https://sts.windows.net/${OTHER_TENANT}/` })));
    expect(refusal?.reason).toBe('guest-account');
    expect(refusal?.explanation).toMatch(/guest/);
    expect(refusal?.explanation).toMatch(/another organisation/);
  });

  it('refuses acct = 1 even without an idp claim', () => {
    expect(guestAccountCheck(context(memberClaims({ acct: 1 })))).toMatchObject({ reason: 'guest-account' });
  });

  it('refuses an idp that names no tenant at all (e.g. a federated social provider), failing closed', () => {
    expect(guestAccountCheck(context(memberClaims({ idp: 'google.com' })))).toMatchObject({ reason: 'guest-account' });
  });

  it('recognises a guest whose token has neither idp nor acct, by the home tenant in client_info', () => {
    // Entra's default ID token for a guest has this tenant's tid and issuer; acct is optional.
    expect(guestAccountCheck(context(memberClaims(), ['administrator'], guestHome))).toMatchObject({ reason: 'guest-account' });
  });

  it('refuses when the signals disagree: a member-looking idp with a foreign home tenant', () => {
    expect(guestAccountCheck(context(memberClaims({ acct: 0, idp: `https://sts.windows.net/${TENANT}/` }), ['administrator'], guestHome))).toMatchObject({ reason: 'guest-account' });
  });

  it('passes a member whose client_info names this tenant', () => {
    expect(guestAccountCheck(context(memberClaims(), ['administrator'], { oid: guestHome.oid, tenantId: TENANT }))).toBeUndefined();
  });
});
