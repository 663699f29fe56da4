import { APP_SUBJECTS, DECIDING_ACTIONS } from '../access/app-permissions.ts';
import type { PolicyIssue } from './policy-issues.ts';
import {
  SERVICE_ROLE_IDS,
  type ServiceRolePermission,
  type ServiceRolesFile,
  type ServiceRolesPolicy,
} from './service-roles-schema.ts';

/**
 * Checks service-roles.yaml beyond its schema. App role values must be unique (one value, one
 * role), and a role held by an application may not approve, deny or manage: those decisions are
 * a person's, made with their own sign-in.
 */
export function checkServiceRoles(file: ServiceRolesFile): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const appRoles = new Map<string, string>();
  for (const id of SERVICE_ROLE_IDS) {
    const role = file.roles[id];
    const earlier = appRoles.get(role.appRole);
    if (earlier !== undefined) {
      issues.push({ path: ['roles', id, 'appRole'], message: `app role '${role.appRole}' already grants '${earlier}'` });
    }
    appRoles.set(role.appRole, id);

    const groups = new Set<string>();
    role.groups.forEach((g, i) => {
      if (groups.has(g.toLowerCase())) issues.push({ path: ['roles', id, 'groups', i], message: `group '${g}' is listed twice` });
      groups.add(g.toLowerCase());
    });

    if (role.principalType === 'app') {
      if (role.groups.length > 0) {
        issues.push({ path: ['roles', id, 'groups'], message: 'expected no groups: an app-only role is granted by app role assignment only' });
      }
      for (const subject of APP_SUBJECTS) {
        (role.permissions[subject] ?? []).forEach((action, i) => {
          if (DECIDING_ACTIONS.includes(action)) {
            issues.push({
              path: ['roles', id, 'permissions', subject, i],
              message: `an app-only role may not ${action}; expected read, create, cancel, export or verify`,
            });
          }
        });
      }
    }
  }
  return issues;
}

export function toServiceRolesPolicy(file: ServiceRolesFile): ServiceRolesPolicy {
  return {
    roles: SERVICE_ROLE_IDS.map((id) => {
      const r = file.roles[id];
      const permissions: ServiceRolePermission[] = [];
      for (const subject of APP_SUBJECTS) {
        for (const action of new Set(r.permissions[subject] ?? [])) permissions.push({ action, subject });
      }
      return {
        id,
        displayName: r.displayName,
        appRole: r.appRole,
        principalType: r.principalType,
        groups: [...new Set(r.groups.map((g) => g.toLowerCase()))],
        permissions,
      };
    }),
  };
}
