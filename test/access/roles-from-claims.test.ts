import { describe, expect, it } from 'vitest';
import { rolesFromClaims } from '../../src/access/roles-from-claims.ts';
import { parseWith, shippedPolicies, shippedTexts } from '../policies/policy-fixtures.ts';

const policies = shippedPolicies();
const ids = (claims: Parameters<typeof rolesFromClaims>[0], p = policies) => rolesFromClaims(claims, p).map((r) => r.id);

const ADMINS_GROUP = '8a0c6f0e-1b2c-4d3e-9f40-5a6b7c8d9e0f';
const AUDITORS_GROUP = 'c3d4e5f6-0718-4293-a4b5-c6d7e8f90a1b';
const withGroups = parseWith({
  'service-roles.yaml': shippedTexts()['service-roles.yaml']
    .replace('groups: []', `groups: [${ADMINS_GROUP.toUpperCase()}]`)
    .replace(/(appRole: SREAgent\.Auditor\n    principalType: user\n    )groups: \[\]/, `$1groups: [${AUDITORS_GROUP}]`),
});

describe('rolesFromClaims', () => {
  it.each([
    ['SREAgent.Administrator', 'administrator'],
    ['SREAgent.StandardUser', 'standardUser'],
    ['SREAgent.Reader', 'reader'],
    ['SREAgent.Auditor', 'auditor'],
  ])('maps app role %s to %s', (value, id) => {
    expect(ids({ roles: [value] })).toEqual([id]);
  });

  it('returns every role held, in policy order, once each', () => {
    expect(ids({ roles: ['SREAgent.Auditor', 'SREAgent.Reader', 'SREAgent.Auditor'] })).toEqual(['reader', 'auditor']);
  });

  it('grants nothing for no claims, unknown values, or near misses in case and spacing', () => {
    expect(ids({})).toEqual([]);
    expect(ids({ roles: [] })).toEqual([]);
    expect(ids({ roles: ['SREAgent.Owner', 'Administrator', 'sreagent.administrator', ' SREAgent.Administrator', 'SREAgent.Administrator '] })).toEqual(
      [],
    );
  });

  it('ignores claims of the wrong shape instead of throwing', () => {
    expect(ids({ roles: 'SREAgent.Administrator' as unknown as string[] })).toEqual([]);
    expect(ids({ roles: [42, null, { value: 'SREAgent.Administrator' }] as unknown as string[] })).toEqual([]);
    expect(ids({ groups: ADMINS_GROUP as unknown as string[] }, withGroups)).toEqual([]);
  });

  it('grants a role through a configured group, matching the id in any case', () => {
    expect(ids({ groups: [ADMINS_GROUP] }, withGroups)).toEqual(['administrator']);
    expect(ids({ groups: [AUDITORS_GROUP.toUpperCase(), 'ffffffff-ffff-ffff-ffff-ffffffffffff'] }, withGroups)).toEqual(['auditor']);
    expect(ids({ roles: ['SREAgent.Reader'], groups: [AUDITORS_GROUP] }, withGroups)).toEqual(['reader', 'auditor']);
  });

  it('grants nothing through groups when none are configured (the shipped default)', () => {
    expect(ids({ groups: [ADMINS_GROUP] })).toEqual([]);
  });

  it('honours the app-only role only for an app-only token', () => {
    expect(ids({ roles: ['Audit.Read'], principalType: 'app' })).toEqual(['auditReader']);
    expect(ids({ roles: ['Audit.Read'] })).toEqual([]);
    expect(ids({ roles: ['Audit.Read'], principalType: 'user' })).toEqual([]);
  });

  it('does not let an application hold a user role, even if Entra put it in the token', () => {
    expect(ids({ roles: ['SREAgent.Administrator', 'Audit.Read'], principalType: 'app' })).toEqual(['auditReader']);
    expect(ids({ groups: [ADMINS_GROUP], principalType: 'app' }, withGroups)).toEqual([]);
  });

  it('treats an unknown principal type as a user', () => {
    expect(ids({ roles: ['SREAgent.Reader', 'Audit.Read'], principalType: 'service' as unknown as 'app' })).toEqual(['reader']);
  });
});
