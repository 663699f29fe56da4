import { describe, expect, it } from 'vitest';
import { checkDecider, checkFreshSignIn, ELIGIBILITY_MESSAGES, PERSONAL_ACCOUNT_TENANT_ID, type FreshSignInFacts } from '../../src/approvals/approver-eligibility.ts';

const TENANT = '6a4d2c1e-0000-4000-8000-000000000001';
const OID = '0f7c3a52-0000-4000-8000-00000000000a';
const NOW = 1_750_000_000;
const FRESH = 300;

const facts = (x: Partial<FreshSignInFacts> = {}): FreshSignInFacts => ({
  oid: OID,
  tid: TENANT,
  holdsDecidingRole: true,
  boundTo: { kind: 'approval', requestId: 'r-1' },
  promptedLogin: true,
  authenticatedDuringFlow: true,
  authenticatedAt: NOW - 10,
  apiToken: { oid: OID, tid: TENANT },
  ...x,
});
const expectation = { kind: 'approval', requestId: 'r-1', tenantId: TENANT, approverOid: OID, freshAuthSeconds: FRESH, nowSeconds: NOW };

describe('checkDecider', () => {
  it('accepts an administrator of the tenant, refuses everyone else with the reason', () => {
    expect(checkDecider({ tid: TENANT, holdsDecidingRole: true }, TENANT)).toBeUndefined();
    expect(checkDecider({ tid: TENANT.toUpperCase(), holdsDecidingRole: true }, TENANT)).toBeUndefined();
    expect(checkDecider({ tid: TENANT, holdsDecidingRole: false }, TENANT)).toBe('not_administrator');
    // A personal account is refused whatever role it holds.
    expect(checkDecider({ tid: PERSONAL_ACCOUNT_TENANT_ID, holdsDecidingRole: true }, TENANT)).toBe('personal_account');
    expect(checkDecider({ tid: 'ffffffff-0000-4000-8000-000000000000', holdsDecidingRole: true }, TENANT)).toBe('other_tenant');
    expect(ELIGIBILITY_MESSAGES.personal_account).toMatch(/Personal Microsoft accounts cannot approve/);
  });

  it('checks the home tenant recorded at sign-in again: a guest or invited personal account has this tid but another home', () => {
    expect(checkDecider({ tid: TENANT, homeTenantId: TENANT.toUpperCase(), holdsDecidingRole: true }, TENANT)).toBeUndefined();
    expect(checkDecider({ tid: TENANT, homeTenantId: 'ffffffff-0000-4000-8000-000000000000', holdsDecidingRole: true }, TENANT)).toBe('other_tenant');
    expect(checkDecider({ tid: TENANT, homeTenantId: PERSONAL_ACCOUNT_TENANT_ID, holdsDecidingRole: true }, TENANT)).toBe('personal_account');
  });
});

describe('checkFreshSignIn', () => {
  it('accepts a fresh, bound sign-in of the approver who started it', () => {
    expect(checkFreshSignIn(facts(), expectation)).toBeUndefined();
    expect(checkFreshSignIn(facts({ authenticatedAt: NOW - FRESH }), expectation)).toBeUndefined();
  });

  it('refuses a stale authentication time even with the right role, and one from the far future', () => {
    expect(checkFreshSignIn(facts({ authenticatedAt: NOW - FRESH - 1 }), expectation)).toBe('stale_sign_in');
    expect(checkFreshSignIn(facts({ authenticatedAt: NOW + 3600 }), expectation)).toBe('stale_sign_in');
  });

  it('refuses a sign-in without prompt=login, without credential entry during the flow, or without any proof of when it authenticated', () => {
    expect(checkFreshSignIn(facts({ promptedLogin: false }), expectation)).toBe('no_fresh_sign_in');
    expect(checkFreshSignIn(facts({ authenticatedDuringFlow: false }), expectation)).toBe('no_fresh_sign_in');
    expect(checkFreshSignIn(facts({ authenticatedAt: null }), expectation)).toBe('no_fresh_sign_in');
  });

  it('refuses a sign-in bound to another request or kind, or not bound at all', () => {
    expect(checkFreshSignIn(facts({ boundTo: { kind: 'approval', requestId: 'r-2' } }), expectation)).toBe('not_bound_to_request');
    expect(checkFreshSignIn(facts({ boundTo: { kind: 'other', requestId: 'r-1' } }), expectation)).toBe('not_bound_to_request');
    expect(checkFreshSignIn(facts({ boundTo: undefined }), expectation)).toBe('not_bound_to_request');
  });

  it('refuses another account than the one that pressed Approve, and a mismatched API token', () => {
    expect(checkFreshSignIn(facts({ oid: '0f7c3a52-0000-4000-8000-00000000000b', apiToken: undefined }), expectation)).toBe('different_account');
    expect(checkFreshSignIn(facts({ apiToken: { oid: '0f7c3a52-0000-4000-8000-00000000000b', tid: TENANT } }), expectation)).toBe('api_token_mismatch');
    expect(checkFreshSignIn(facts({ apiToken: { oid: OID, tid: 'other' } }), expectation)).toBe('api_token_mismatch');
  });

  it('checks role and account type before anything else', () => {
    expect(checkFreshSignIn(facts({ holdsDecidingRole: false }), expectation)).toBe('not_administrator');
    expect(checkFreshSignIn(facts({ tid: PERSONAL_ACCOUNT_TENANT_ID }), expectation)).toBe('personal_account');
  });
});
