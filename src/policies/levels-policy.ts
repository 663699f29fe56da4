import { PERMISSION_LEVELS } from './policy-types.ts';
import type { LevelsFile, LevelsPolicy } from './levels-schema.ts';
import type { PolicyIssue } from './policy-issues.ts';

/** What the loader needs to know about the tenant's roles. */
export interface RoleCatalogLookup {
  hasRole(roleName: string): boolean;
}

/** Checks levels.yaml against the role catalog and itself, beyond what its schema can see. */
export function checkLevels(file: LevelsFile, catalog: RoleCatalogLookup): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const checkRoles = (roles: string[], path: (string | number)[]) => {
    const seen = new Set<string>();
    roles.forEach((role, i) => {
      const key = role.toLowerCase();
      if (seen.has(key)) issues.push({ path: [...path, i], message: `role '${role}' is listed twice` });
      seen.add(key);
      if (!catalog.hasRole(role)) issues.push({ path: [...path, i], message: `role '${role}' is not in the role catalog` });
    });
  };

  checkRoles(file.preconfiguredRoles.resourceGroup, ['preconfiguredRoles', 'resourceGroup']);
  checkRoles(file.preconfiguredRoles.subscription, ['preconfiguredRoles', 'subscription']);

  const typesSeen = new Map<string, string>();
  for (const [resourceType, roles] of Object.entries(file.resourceTypes)) {
    const key = resourceType.toLowerCase();
    const earlier = typesSeen.get(key);
    if (earlier !== undefined) {
      issues.push({
        path: ['resourceTypes', resourceType],
        message: `resource type is already listed as '${earlier}' (resource types are case-insensitive)`,
      });
    }
    typesSeen.set(key, resourceType);
    for (const level of PERMISSION_LEVELS) checkRoles(roles[level], ['resourceTypes', resourceType, level]);
  }
  return issues;
}

export function toLevelsPolicy(file: LevelsFile): LevelsPolicy {
  return {
    levels: file.levels,
    preconfiguredRoles: file.preconfiguredRoles,
    resourceTypes: Object.entries(file.resourceTypes).map(([resourceType, roles]) => ({ resourceType, roles })),
  };
}
