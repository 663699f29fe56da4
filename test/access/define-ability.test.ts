import { describe, expect, it } from 'vitest';
import { APP_ACTIONS, APP_SUBJECTS, type AppAction, type AppSubject } from '../../src/access/app-permissions.ts';
import { defineAbilityFor } from '../../src/access/define-ability.ts';
import { rolesFromClaims } from '../../src/access/roles-from-claims.ts';
import type { ServiceRoleId } from '../../src/policies/service-roles-schema.ts';
import { shippedPolicies } from '../policies/policy-fixtures.ts';

const policies = shippedPolicies();

/**
 * What each shipped role may do, written out by hand (not derived from the policy) so that a
 * change to service-roles.yaml that widens or narrows a role fails here. `manage` on a subject
 * means every action on it, as in CASL.
 */
const EXPECTED: Record<ServiceRoleId, Partial<Record<AppSubject, readonly AppAction[]>>> = {
  administrator: {
    Request: ['read', 'create', 'cancel'],
    Approval: ['read', 'approve', 'deny'],
    Agent: APP_ACTIONS, // manage
    AuditLog: ['read', 'export', 'verify'],
    Policy: ['read'],
    Incident: ['read'],
  },
  standardUser: {
    Request: ['read', 'create', 'cancel'],
    Approval: ['read'],
    Agent: ['read'],
    Incident: ['read'],
  },
  reader: {
    Request: ['read'],
    Approval: ['read'],
    Agent: ['read'],
    Incident: ['read'],
  },
  auditor: {
    Request: ['read'],
    Approval: ['read'],
    Agent: ['read'],
    AuditLog: ['read', 'export', 'verify'],
    Policy: ['read'],
    Incident: ['read'],
  },
  auditReader: {
    AuditLog: ['read', 'export', 'verify'],
  },
};

const rows = policies.serviceRoles.roles.flatMap((role) =>
  APP_SUBJECTS.flatMap((subject) =>
    APP_ACTIONS.map((action) => ({
      role: role.id,
      action,
      subject,
      allowed: (EXPECTED[role.id][subject] ?? []).includes(action),
    })),
  ),
);

describe('defineAbilityFor, every role x action x subject', () => {
  it('covers the whole matrix', () => {
    expect(rows).toHaveLength(5 * APP_ACTIONS.length * APP_SUBJECTS.length);
    expect(rows.filter((r) => r.allowed).length).toBeGreaterThan(20);
    expect(rows.filter((r) => !r.allowed).length).toBeGreaterThan(100);
  });

  it.each(rows)('$role: $action $subject -> $allowed', ({ role, action, subject, allowed }) => {
    const ability = defineAbilityFor(policies.serviceRoles.roles.filter((r) => r.id === role));
    expect(ability.can(action, subject)).toBe(allowed);
    expect(ability.cannot(action, subject)).toBe(!allowed);
  });
});

describe('defineAbilityFor, combinations', () => {
  it('grants nothing without roles', () => {
    const ability = defineAbilityFor([]);
    for (const subject of APP_SUBJECTS) for (const action of APP_ACTIONS) expect(ability.can(action, subject)).toBe(false);
  });

  it('gives the union of several roles', () => {
    const ability = defineAbilityFor(rolesFromClaims({ roles: ['SREAgent.StandardUser', 'SREAgent.Auditor'] }, policies));
    expect(ability.can('create', 'Request')).toBe(true);
    expect(ability.can('export', 'AuditLog')).toBe(true);
    expect(ability.can('approve', 'Approval')).toBe(false);
    expect(ability.can('manage', 'Agent')).toBe(false);
  });

  it('keeps the four-eyes split: no role but the administrator approves, and only it manages agents', () => {
    for (const role of policies.serviceRoles.roles) {
      const ability = defineAbilityFor([role]);
      expect(ability.can('approve', 'Approval'), role.id).toBe(role.id === 'administrator');
      expect(ability.can('deny', 'Approval'), role.id).toBe(role.id === 'administrator');
      expect(ability.can('manage', 'Agent'), role.id).toBe(role.id === 'administrator');
    }
  });
});
