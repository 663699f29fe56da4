import { describe, expect, it } from 'vitest';
import { parseWith, policyErrorLines, shippedPolicies, shippedTexts } from './policy-fixtures.ts';

const shipped = shippedTexts()['service-roles.yaml'];

/** 1-based line of the n-th (0-based) occurrence of `needle` in `text`. */
function lineOf(text: string, needle: string, occurrence = 0): number {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' not found`);
  }
  return text.slice(0, at).split('\n').length;
}

function replaceNth(text: string, from: string, to: string, occurrence = 0): string {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) at = text.indexOf(from, at + 1);
  if (at < 0) throw new Error(`'${from}' not found`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

describe('service-roles.yaml', () => {
  it('ships the four user roles and the app-only SIEM role, with no groups', () => {
    const roles = shippedPolicies().serviceRoles.roles;
    expect(roles.map((r) => r.displayName)).toEqual([
      'SRE Agent Administrator',
      'SRE Agent Standard User',
      'SRE Agent Reader',
      'Auditor',
      'Audit Reader (application)',
    ]);
    for (const role of roles) expect(role.groups).toEqual([]);
  });

  it('lower-cases group ids so claims match whatever case Entra sends', () => {
    const text = shipped.replace('groups: []', 'groups: [8A0C6F0E-1B2C-4D3E-9F40-5A6B7C8D9E0F]');
    const admin = parseWith({ 'service-roles.yaml': text }).serviceRoles.roles[0]!;
    expect(admin.groups).toEqual(['8a0c6f0e-1b2c-4d3e-9f40-5a6b7c8d9e0f']);
  });

  const cases: { name: string; text: string; expected: string }[] = [
    {
      name: 'unknown subject',
      text: replaceNth(shipped, '      Policy: [read]', '      Policies: [read]'),
      expected: `roles.administrator.permissions.Policies: unknown subject 'Policies'; expected Request, Approval, Agent, AuditLog, Policy or Incident (line ${lineOf(shipped, '      Policy: [read]')})`,
    },
    {
      name: 'unknown action',
      text: replaceNth(shipped, 'Request: [read, create, cancel]', 'Request: [read, submit, cancel]'),
      expected: `roles.administrator.permissions.Request[1]: expected an action: read, create, cancel, approve, deny, manage, export or verify, got 'submit' (line ${lineOf(shipped, 'Request: [read, create, cancel]')})`,
    },
    {
      name: 'an app-only role that could approve',
      text: replaceNth(shipped, 'AuditLog: [read, export, verify]', 'AuditLog: [read, approve]', 2),
      expected: `roles.auditReader.permissions.AuditLog[1]: an app-only role may not approve; expected read, create, cancel, export or verify (line ${lineOf(shipped, 'AuditLog: [read, export, verify]', 2)})`,
    },
    {
      name: 'an app-only role that could manage',
      text: replaceNth(shipped, 'AuditLog: [read, export, verify]', 'Agent: [manage]', 2),
      expected: `roles.auditReader.permissions.Agent[0]: an app-only role may not manage; expected read, create, cancel, export or verify (line ${lineOf(shipped, 'AuditLog: [read, export, verify]', 2)})`,
    },
    {
      name: 'an app-only role granted by group',
      text: replaceNth(shipped, '    principalType: app\n', '    principalType: app\n    groups: [8a0c6f0e-1b2c-4d3e-9f40-5a6b7c8d9e0f]\n'),
      expected: `roles.auditReader.groups: expected no groups: an app-only role is granted by app role assignment only (line ${lineOf(shipped, '    principalType: app') + 1})`,
    },
    {
      name: 'two roles granted by one app role value',
      text: shipped.replace('appRole: SREAgent.Reader', 'appRole: SREAgent.StandardUser'),
      expected: `roles.reader.appRole: app role 'SREAgent.StandardUser' already grants 'standardUser' (line ${lineOf(shipped, 'appRole: SREAgent.Reader')})`,
    },
    {
      name: 'a group id that is not a GUID',
      text: shipped.replace('groups: []', 'groups: [sre-admins]'),
      expected: `roles.administrator.groups[0]: expected an Entra object id (GUID) such as 0e2d5f3c-7a41-4a9b-9a0e-2c6f4b1d8e7a, got 'sre-admins' (line ${lineOf(shipped, 'groups: []')})`,
    },
    {
      name: 'an unknown role',
      text: `${shipped}  owner:\n    displayName: Owner\n    appRole: SREAgent.Owner\n    principalType: user\n    permissions: {}\n`,
      expected: `roles.owner: unknown service role 'owner'; expected administrator, standardUser, reader, auditor or auditReader (line ${shipped.split('\n').length})`,
    },
    {
      name: 'an unknown principal type',
      text: replaceNth(shipped, 'principalType: user', 'principalType: group'),
      expected: `roles.administrator.principalType: expected user or app, got 'group' (line ${lineOf(shipped, 'principalType: user')})`,
    },
  ];

  it.each(cases)('rejects $name with one line naming file and path', ({ text, expected }) => {
    expect(policyErrorLines(() => parseWith({ 'service-roles.yaml': text }))).toEqual([`policies/service-roles.yaml: ${expected}`]);
  });
});
