import { describe, expect, it } from 'vitest';
import { roleCheck } from '../../../src/signin/account-checks/role-check.ts';
import { context, memberClaims } from './fixtures.ts';

describe('roleCheck', () => {
  it('passes a user holding an Elevate role', () => {
    expect(roleCheck(context(memberClaims(), ['reader']))).toBeUndefined();
  });

  it('refuses a user with no role and names the roles that would let them in', () => {
    const refusal = roleCheck(context(memberClaims({ roles: [] }), []));
    expect(refusal?.reason).toBe('no-role');
    expect(refusal?.neededRoles).toEqual(['SRE Agent Administrator', 'SRE Agent Reader']);
    expect(refusal?.explanation).toContain('SRE Agent Administrator, SRE Agent Reader');
    expect(refusal?.explanation).not.toContain('group');
  });

  it('says the token carried no group claim when roles are mapped to groups and it had none', () => {
    const refusal = roleCheck({ ...context(memberClaims({ roles: [] }), []), groups: { source: 'absent' } });
    expect(refusal).toMatchObject({ reason: 'no-role', groupsSource: 'absent', neededRoles: ['SRE Agent Administrator', 'SRE Agent Reader'] });
    expect(refusal?.explanation).toContain('carried no group claim');
    expect(refusal?.explanation).toContain('SRE Agent Administrator, SRE Agent Reader');
  });
});
