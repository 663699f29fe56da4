import type { ServiceRole, ServiceRolesPolicy } from '../policies/service-roles-schema.ts';
import { orList } from '../policies/policy-schema-parts.ts';
import type { AppAction, AppSubject } from './app-permissions.ts';
import { defineAbilityFor } from './define-ability.ts';

/** What people call each action on each subject, for messages. */
const PHRASES: Partial<Record<AppSubject, Partial<Record<AppAction, string>>>> = {
  Request: { read: 'Viewing requests', create: 'Submitting requests', cancel: 'Cancelling requests', manage: 'Managing requests' },
  Approval: { read: 'Viewing approvals', approve: 'Approving requests', deny: 'Denying requests', manage: 'Managing approvals' },
  Agent: { read: 'Viewing agents', create: 'Registering agents', manage: 'Managing agents' },
  AuditLog: {
    read: 'Viewing the audit log',
    export: 'Exporting the audit log',
    verify: 'Verifying the audit log',
    manage: 'Managing the audit log',
  },
  Policy: { read: 'Viewing policies', manage: 'Managing policies' },
  Incident: { read: 'Viewing incidents', manage: 'Managing incidents' },
};

export function describeAction(action: AppAction, subject: AppSubject): string {
  return PHRASES[subject]?.[action] ?? `The '${action}' action on ${subject}`;
}

/** The roles, held by people, that allow `action` on `subject` (CASL semantics: `manage` covers all). */
export function rolesAllowing(action: AppAction, subject: AppSubject, policies: { serviceRoles: ServiceRolesPolicy }): ServiceRole[] {
  return policies.serviceRoles.roles.filter(
    (role) => role.principalType === 'user' && defineAbilityFor([role]).can(action, subject),
  );
}

/**
 * One sentence for a 403 page: "Approving requests needs the SRE Agent Administrator role."
 * Names every role that would do, so the reader knows whom to ask for what.
 */
export function requiredRoleFor(action: AppAction, subject: AppSubject, policies: { serviceRoles: ServiceRolesPolicy }): string {
  const what = describeAction(action, subject);
  const roles = rolesAllowing(action, subject, policies).map((r) => r.displayName);
  if (roles.length === 0) return `${what} is not allowed for any role.`;
  return `${what} needs the ${orList(roles)} role.`;
}
