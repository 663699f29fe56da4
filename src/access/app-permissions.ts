/**
 * What Elevate's own users can be allowed to do, as CASL action/subject pairs. The service-roles
 * policy grants these per role; the web and CLI layers ask `ability.can(action, subject)`.
 */

export const APP_SUBJECTS = ['Request', 'Approval', 'Agent', 'AuditLog', 'Policy', 'Incident'] as const;
export type AppSubject = (typeof APP_SUBJECTS)[number];

/** `manage` is CASL's wildcard: every action on the subject. */
export const APP_ACTIONS = ['read', 'create', 'cancel', 'approve', 'deny', 'manage', 'export', 'verify'] as const;
export type AppAction = (typeof APP_ACTIONS)[number];

/** Actions that decide on someone else's request; never granted to an application identity. */
export const DECIDING_ACTIONS: readonly AppAction[] = ['approve', 'deny', 'manage'];

export function isAppAction(value: unknown): value is AppAction {
  return typeof value === 'string' && (APP_ACTIONS as readonly string[]).includes(value);
}

export function isAppSubject(value: unknown): value is AppSubject {
  return typeof value === 'string' && (APP_SUBJECTS as readonly string[]).includes(value);
}
