import { isPermissionLevel, PERMISSION_LEVELS, type PermissionLevel } from './policy-types.ts';
import type { LevelsPolicy } from './levels-schema.ts';

export interface DesiredRoles {
  /** Role names to hold at each managed resource group, preconfigured ones first. */
  resourceGroupRoles: string[];
  /** Role names to hold at each subscription that holds a managed resource group. */
  subscriptionRoles: string[];
  /** Input resource types the policy has no entry for (they get the preconfigured roles only). */
  unmappedResourceTypes: string[];
}

/**
 * The Azure roles the agent should hold at `level`, given the resource types present in its
 * managed resource groups. A level includes the roles of every level below it (Privileged adds to
 * Reader: Key Vault Reader's data-plane reads are not part of Key Vault Contributor). Types match
 * case-insensitively, as ARM's do. The order follows the policy file, not the input, so two
 * inventories with the same types give the same plan.
 */
export function desiredRolesFor(
  level: PermissionLevel,
  resourceTypes: readonly string[],
  policies: { levels: LevelsPolicy },
): DesiredRoles {
  if (!isPermissionLevel(level)) throw new RangeError(`unknown permission level ${JSON.stringify(level)}`);
  const { preconfiguredRoles, resourceTypes: mapped } = policies.levels;
  const included = PERMISSION_LEVELS.slice(0, PERMISSION_LEVELS.indexOf(level) + 1);
  const present = new Set(resourceTypes.filter((t) => typeof t === 'string').map((t) => t.toLowerCase()));

  const resourceGroupRoles = uniqueCaseInsensitive([
    ...preconfiguredRoles.resourceGroup,
    ...mapped.filter((entry) => present.has(entry.resourceType.toLowerCase())).flatMap((entry) => included.flatMap((l) => entry.roles[l])),
  ]);

  const known = new Set(mapped.map((entry) => entry.resourceType.toLowerCase()));
  const unmapped = new Map<string, string>();
  for (const t of resourceTypes) {
    if (typeof t === 'string' && !known.has(t.toLowerCase()) && !unmapped.has(t.toLowerCase())) unmapped.set(t.toLowerCase(), t);
  }

  return {
    resourceGroupRoles,
    subscriptionRoles: uniqueCaseInsensitive(preconfiguredRoles.subscription),
    unmappedResourceTypes: [...unmapped.values()],
  };
}

function uniqueCaseInsensitive(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const key = n.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
