import { RbacInputError } from '../../rbac/rbac-errors.ts';
import { parseScope, type ParsedScope } from '../../rbac/scope-path.ts';
import type { ArmContext } from './arm-context.ts';
import { armErrors } from './arm-errors.ts';

/**
 * Validates a scope from a request path and checks that what it names exists in the sandbox:
 * the management group, subscription, resource group or resource. Unknown ones get ARM's 404s.
 */
export function existingScope(ctx: ArmContext, scope: string): ParsedScope {
  let parsed: ParsedScope;
  try {
    parsed = parseScope(scope);
  } catch (err) {
    if (err instanceof RbacInputError) throw armErrors.invalidPath(err.message);
    throw err;
  }
  if (parsed.kind === 'root') return parsed;
  if (parsed.kind === 'managementGroup') {
    if (!ctx.state.managementGroup(parsed.managementGroupId!)) throw armErrors.managementGroupNotFound(parsed.managementGroupId!);
    return parsed;
  }
  if (!ctx.state.subscription(parsed.subscriptionId!)) throw armErrors.subscriptionNotFound(parsed.subscriptionId!);
  if (parsed.resourceGroup === undefined) return parsed;
  if (!ctx.state.resourceGroup(parsed.subscriptionId!, parsed.resourceGroup)) throw armErrors.resourceGroupNotFound(parsed.resourceGroup);
  if (parsed.kind === 'resource' && !ctx.state.resource(parsed.scope)) {
    const tail = parsed.scope.split('/providers/').pop() ?? parsed.scope;
    throw armErrors.resourceNotFound(tail, parsed.resourceGroup);
  }
  return parsed;
}
