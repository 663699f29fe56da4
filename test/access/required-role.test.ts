import { describe, expect, it } from 'vitest';
import { requiredRoleFor, rolesAllowing } from '../../src/access/required-role.ts';
import { parseWith, shippedPolicies, shippedTexts } from '../policies/policy-fixtures.ts';

const policies = shippedPolicies();

describe('requiredRoleFor', () => {
  it.each([
    ['approve', 'Approval', 'Approving requests needs the SRE Agent Administrator role.'],
    ['deny', 'Approval', 'Denying requests needs the SRE Agent Administrator role.'],
    ['manage', 'Agent', 'Managing agents needs the SRE Agent Administrator role.'],
    ['create', 'Request', 'Submitting requests needs the SRE Agent Administrator or SRE Agent Standard User role.'],
    ['cancel', 'Request', 'Cancelling requests needs the SRE Agent Administrator or SRE Agent Standard User role.'],
    ['export', 'AuditLog', 'Exporting the audit log needs the SRE Agent Administrator or Auditor role.'],
    ['verify', 'AuditLog', 'Verifying the audit log needs the SRE Agent Administrator or Auditor role.'],
    ['read', 'Policy', 'Viewing policies needs the SRE Agent Administrator or Auditor role.'],
    [
      'read',
      'Request',
      'Viewing requests needs the SRE Agent Administrator, SRE Agent Standard User, SRE Agent Reader or Auditor role.',
    ],
    // Read on agents comes from the administrator's `manage` as well as from plain `read`.
    ['read', 'Agent', 'Viewing agents needs the SRE Agent Administrator, SRE Agent Standard User, SRE Agent Reader or Auditor role.'],
    ['manage', 'Policy', 'Managing policies is not allowed for any role.'],
  ] as const)('%s %s: %s', (action, subject, expected) => {
    expect(requiredRoleFor(action, subject, policies)).toBe(expected);
  });

  it('never names the app-only role to a person', () => {
    expect(rolesAllowing('read', 'AuditLog', policies).map((r) => r.id)).toEqual(['administrator', 'auditor']);
  });

  it('follows the policy: widening a role shows up in the message', () => {
    const widened = parseWith({
      'service-roles.yaml': shippedTexts()['service-roles.yaml'].replace(
        '      # Submits and cancels requests on the agent\'s behalf; cannot decide on them.\n      Request: [read, create, cancel]\n      Approval: [read]',
        '      Request: [read, create, cancel]\n      Approval: [read, approve]',
      ),
    });
    expect(requiredRoleFor('approve', 'Approval', widened)).toBe('Approving requests needs the SRE Agent Administrator or SRE Agent Standard User role.');
  });
});
