import { describe, expect, it } from 'vitest';
import { runAccountChecks } from '../../../src/signin/account-checks/account-check-pipeline.ts';
import { groupsReadCheck } from '../../../src/signin/account-checks/groups-read-check.ts';
import { context, memberClaims, OTHER_TENANT } from './fixtures.ts';

const unreadable = { source: 'unreadable' as const, why: 'Microsoft Graph checkMemberGroups answered 503' };

describe('groupsReadCheck', () => {
  it.each(['unmapped', 'listed', 'absent', 'looked-up', 'not-needed'] as const)('passes when the groups were read (%s)', (source) => {
    expect(groupsReadCheck({ ...context(memberClaims()), groups: { source } })).toBeUndefined();
  });

  it('refuses when the overage could not be looked up, saying why and what to do', () => {
    const refusal = groupsReadCheck({ ...context(memberClaims()), groups: unreadable });
    expect(refusal).toMatchObject({ reason: 'groups-unresolved', groupsSource: 'unreadable' });
    expect(refusal?.explanation).toContain('more than 200 groups');
    expect(refusal?.explanation).toContain('answered 503');
    expect(refusal?.explanation).toContain('assign you an Elevate app role directly');
  });

  it('refuses even a holder of an app role (their roles cannot be known in full), after the account-type checks', () => {
    expect(runAccountChecks({ ...context(memberClaims({ roles: ['SREAgent.Reader'] }), ['reader']), groups: unreadable })?.reason).toBe('groups-unresolved');
    expect(runAccountChecks({ ...context(memberClaims({ idp: `https://sts.windows.net/${OTHER_TENANT}/` }), []), groups: unreadable })?.reason).toBe('guest-account');
  });
});
