import { describe, expect, it } from 'vitest';
import { tenantCheck } from '../../../src/signin/account-checks/tenant-check.ts';
import { context, memberClaims, OTHER_TENANT, TENANT } from './fixtures.ts';

describe('tenantCheck', () => {
  it('passes the configured tenant, in any letter case', () => {
    expect(tenantCheck(context(memberClaims({ tid: TENANT.toUpperCase() })))).toBeUndefined();
  });

  it('refuses another tenant', () => {
    expect(tenantCheck(context(memberClaims({ tid: OTHER_TENANT }))))?.toMatchObject({ reason: 'wrong-tenant' });
  });
});
