import { describe, expect, it } from 'vitest';
import { groupMemberships } from '../../src/signin/group-memberships.ts';
import { parseWith, shippedPolicies, shippedTexts } from '../policies/policy-fixtures.ts';

const OID = '60ca6263-4c86-46fc-b376-b14ef1e7ff91';
const ADMINS = '8a0c6f0e-1b2c-4d3e-9f40-5a6b7c8d9e0f';
const AUDITORS = 'c3d4e5f6-0718-4293-a4b5-c6d7e8f90a1b';
const mapped = parseWith({
  'service-roles.yaml': shippedTexts()['service-roles.yaml']
    .replace('groups: []', `groups: [${ADMINS.toUpperCase()}]`)
    .replace(/(appRole: SREAgent\.Auditor\n    principalType: user\n    )groups: \[\]/, `$1groups: [${AUDITORS}]`),
});

/** A Graph stand-in that records what it was asked; `answer` is the person's membership. */
function graph(answer: string[] | Error) {
  const asked: Array<{ oid: string; groups: readonly string[] }> = [];
  const memberGroups = async (oid: string, groups: readonly string[]) => {
    asked.push({ oid, groups });
    if (answer instanceof Error) throw answer;
    return groups.filter((g) => answer.includes(g));
  };
  return { asked, memberGroups };
}

describe('groupMemberships', () => {
  it('takes a listed groups claim as it is, without asking Graph', async () => {
    const g = graph([]);
    expect(await groupMemberships({ kind: 'listed', groups: [ADMINS.toUpperCase()] }, { oid: OID, appRoles: [] }, { policies: mapped, memberGroups: g.memberGroups })).toEqual({
      groups: [ADMINS],
      reading: { source: 'listed' },
    });
    expect(g.asked).toEqual([]);
  });

  it('reads nothing when no role is mapped to groups (the shipped policy), even on overage', async () => {
    const g = graph([ADMINS]);
    for (const kind of ['overage', 'absent'] as const) {
      expect(await groupMemberships({ kind }, { oid: OID, appRoles: [] }, { policies: shippedPolicies(), memberGroups: g.memberGroups })).toEqual({ groups: [], reading: { source: 'unmapped' } });
    }
    expect(g.asked).toEqual([]);
  });

  it('says the claim was absent when groups are mapped and the token has none', async () => {
    const g = graph([ADMINS]);
    expect(await groupMemberships({ kind: 'absent' }, { oid: OID, appRoles: [] }, { policies: mapped, memberGroups: g.memberGroups })).toEqual({ groups: [], reading: { source: 'absent' } });
    expect(g.asked).toEqual([]);
  });

  it('on overage asks Graph about the mapped groups only, for the token\'s oid', async () => {
    const g = graph([ADMINS]);
    expect(await groupMemberships({ kind: 'overage' }, { oid: OID, appRoles: [] }, { policies: mapped, memberGroups: g.memberGroups })).toEqual({
      groups: [ADMINS],
      reading: { source: 'looked-up' },
    });
    expect(g.asked).toEqual([{ oid: OID, groups: [ADMINS, AUDITORS] }]);
  });

  it('skips the groups of roles the app roles already grant, and Graph altogether when nothing is left', async () => {
    const g = graph([]);
    await groupMemberships({ kind: 'overage' }, { oid: OID, appRoles: ['SREAgent.Auditor'] }, { policies: mapped, memberGroups: g.memberGroups });
    expect(g.asked).toEqual([{ oid: OID, groups: [ADMINS] }]);
    const both = await groupMemberships({ kind: 'overage' }, { oid: OID, appRoles: ['SREAgent.Administrator', 'SREAgent.Auditor'] }, { policies: mapped, memberGroups: g.memberGroups });
    expect(both).toEqual({ groups: [], reading: { source: 'not-needed' } });
    expect(g.asked).toHaveLength(1);
  });

  it('reports an unanswered look-up as unreadable, with the reason and no groups', async () => {
    const g = graph(new Error('Microsoft Graph checkMemberGroups answered 403 Authorization_RequestDenied\nmore'));
    expect(await groupMemberships({ kind: 'overage' }, { oid: OID, appRoles: [] }, { policies: mapped, memberGroups: g.memberGroups })).toEqual({
      groups: [],
      reading: { source: 'unreadable', why: 'Microsoft Graph checkMemberGroups answered 403 Authorization_RequestDenied' },
    });
  });
});
