import { describe, expect, it } from 'vitest';
import { identityCheck } from '../../../src/signin/account-checks/identity-check.ts';
import { context, memberClaims } from './fixtures.ts';

describe('identityCheck', () => {
  it('passes a token with a GUID oid and tid', () => {
    expect(identityCheck(context(memberClaims()))).toBeUndefined();
  });

  it.each([
    ['no oid', { oid: undefined }],
    ['no tid', { tid: undefined }],
    ['an empty oid', { oid: '' }],
    ['a non-GUID oid', { oid: 'ada' }],
    ['a numeric tid', { tid: 42 }],
    ['an oid with injected text', { oid: '60ca6263-4c86-46fc-b376-b14ef1e7ff91<script>' }],
  ])('refuses %s', (_label, overrides) => {
    expect(identityCheck(context(memberClaims(overrides)))?.reason).toBe('missing-identity');
  });
});
