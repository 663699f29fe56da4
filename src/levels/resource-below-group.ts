import { parseScope } from '../rbac/scope-path.ts';

/**
 * Where a scope lies strictly below one of an agent's managed resource groups (a resource, a
 * child resource, or an extension resource on one), and the type of the resource at it. An
 * assignment there does not apply at the group, so checks at the group never see it; drift has
 * to be measured at the assignment's own scope. Comparison is case-insensitive on whole
 * segments (scope-path.ts): `.../resourceGroups/rg1` is not above `.../resourceGroups/rg10/...`.
 */
export interface ResourceBelowGroup {
  /** The managed group id, as the agent lists it. */
  resourceGroupId: string;
  /** e.g. Microsoft.App/containerApps, or Microsoft.Sql/servers/databases for a nested resource. */
  resourceType: string;
}

export function resourceBelowGroup(scope: string, resourceGroupIds: readonly string[]): ResourceBelowGroup | undefined {
  const parsed = parseScope(scope);
  if (parsed.kind !== 'resource' || parsed.resourceGroup === undefined) return undefined;
  const resourceGroupId = resourceGroupIds.find((id) => parsed.key.startsWith(`${parseScope(id).key}/`));
  if (resourceGroupId === undefined) return undefined;
  return { resourceGroupId, resourceType: resourceTypeOf(parsed.scope) };
}

/**
 * The type of the resource a (valid, canonical) resource scope names: the namespace of its last
 * `providers` frame and the type segments after it, names left out. For an extension resource
 * (`.../providers/Microsoft.Insights/diagnosticSettings/x` on a resource) that is the extension's
 * type, the resource the assignment sits on. The segments are walked as the parser walks them, so
 * a resource named `providers` is not taken for the keyword.
 */
function resourceTypeOf(canonicalScope: string): string {
  const segs = canonicalScope.split('/').slice(1);
  let i = segs[2] === 'resourceGroups' ? 4 : 2;
  let type: string[] = [];
  while (i < segs.length) {
    // at a type position: `providers` starts a frame; otherwise a type and its name
    if (segs[i] === 'providers') {
      type = [segs[i + 1]!];
      i += 2;
    } else {
      type.push(segs[i]!);
      i += 2;
    }
  }
  return type.join('/');
}
