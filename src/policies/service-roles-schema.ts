import { z } from 'zod';
import { APP_ACTIONS, APP_SUBJECTS, type AppAction, type AppSubject } from '../access/app-permissions.ts';
import { objectId, orList, strictMapping } from './policy-schema-parts.ts';

/** service-roles.yaml: Elevate's own roles, what grants them and what they allow. */

export const SERVICE_ROLE_IDS = ['administrator', 'standardUser', 'reader', 'auditor', 'auditReader'] as const;
export type ServiceRoleId = (typeof SERVICE_ROLE_IDS)[number];

const actionList = z.array(z.enum(APP_ACTIONS, { error: `expected an action: ${orList(APP_ACTIONS)}` }), {
  error: 'expected a list of actions',
});

const permissions = strictMapping(
  Object.fromEntries(APP_SUBJECTS.map((subject) => [subject, actionList.optional()])) as Record<
    AppSubject,
    z.ZodOptional<typeof actionList>
  >,
  'subject',
);

const serviceRole = strictMapping({
  displayName: z.string({ error: 'expected the name users see, such as SRE Agent Administrator' }).trim().min(1, 'expected the name users see, such as SRE Agent Administrator'),
  /** The value Entra puts in the token's `roles` claim. */
  appRole: z
    .string({ error: 'expected an app role value such as SREAgent.Administrator' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/, 'expected an app role value such as SREAgent.Administrator (letters, digits, . _ -)'),
  /** `user`: people signing in. `app`: daemons with an app-only token (e.g. a SIEM reader). */
  principalType: z.enum(['user', 'app'], { error: 'expected user or app' }),
  /** Entra groups whose members hold the role even without the app role assignment. */
  groups: z.array(objectId, { error: 'expected a list of Entra group object ids' }).default([]),
  permissions,
});

export const serviceRolesSchema = strictMapping({
  roles: strictMapping(
    Object.fromEntries(SERVICE_ROLE_IDS.map((id) => [id, serviceRole])) as Record<ServiceRoleId, typeof serviceRole>,
    'service role',
  ),
});

export type ServiceRolesFile = z.infer<typeof serviceRolesSchema>;

export interface ServiceRolePermission {
  action: AppAction;
  subject: AppSubject;
}

export interface ServiceRole {
  id: ServiceRoleId;
  displayName: string;
  appRole: string;
  principalType: 'user' | 'app';
  /** Lower-cased object ids. */
  groups: string[];
  permissions: ServiceRolePermission[];
}

export interface ServiceRolesPolicy {
  /** In SERVICE_ROLE_IDS order. */
  roles: ServiceRole[];
}
