import { z } from 'zod';
import { PERMISSION_LEVELS, type PermissionLevel } from './policy-types.ts';
import { roleNameList, strictMapping, orList } from './policy-schema-parts.ts';

/** levels.yaml: what each permission level of the agent means in Azure roles. */

const levelDescription = strictMapping({
  description: z.string({ error: 'expected a one-line description' }).trim().min(1, 'expected a one-line description'),
});

export const RESOURCE_TYPE_PATTERN = /^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+(\/[A-Za-z0-9]+)+$/;

const resourceTypeName = z
  .string()
  .regex(RESOURCE_TYPE_PATTERN, 'expected a resource type such as Microsoft.App/containerApps');

const rolesPerLevel = strictMapping(
  {
    Reader: roleNameList.default([]),
    Privileged: roleNameList.default([]),
  } satisfies Record<PermissionLevel, unknown>,
  'permission level',
);

export const levelsSchema = strictMapping({
  levels: strictMapping(
    { Reader: levelDescription, Privileged: levelDescription } satisfies Record<PermissionLevel, unknown>,
    'permission level',
  ),
  preconfiguredRoles: strictMapping({
    resourceGroup: roleNameList,
    subscription: roleNameList,
  }),
  resourceTypes: z.record(resourceTypeName, rolesPerLevel, {
    error: `expected a mapping of resource type to roles per level (${orList(PERMISSION_LEVELS)})`,
  }),
});

export type LevelsFile = z.infer<typeof levelsSchema>;

export interface ResourceTypeRoles {
  /** As written in the policy; matched case-insensitively. */
  resourceType: string;
  roles: Record<PermissionLevel, string[]>;
}

export interface LevelsPolicy {
  levels: Record<PermissionLevel, { description: string }>;
  /** Assigned at every level: to each managed resource group, and to the subscription holding one. */
  preconfiguredRoles: { resourceGroup: string[]; subscription: string[] };
  /** In file order, which is the order roles come out of `desiredRolesFor`. */
  resourceTypes: ResourceTypeRoles[];
}
