import { RbacInputError } from '../../rbac/rbac-errors.ts';
import type { Decision } from '../../rbac/rbac-types.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { armErrors } from './arm-errors.ts';

/**
 * ARM's front-door RBAC check, made with Elevate's own evaluator over the sandbox's live
 * assignments: the caller (and its groups) must be granted `action` at `scope` and not denied.
 */
function decide(ctx: ArmContext, caller: ArmCaller, action: string, scope: string): Decision {
  try {
    return ctx.state.rbac().check({ principalId: caller.principalId, action, scope });
  } catch (err) {
    if (err instanceof RbacInputError) throw armErrors.invalidPath(err.message);
    throw err;
  }
}

export function isAllowed(ctx: ArmContext, caller: ArmCaller, action: string, scope: string): boolean {
  return decide(ctx, caller, action, scope).allowed;
}

/** Throws ARM's 403: DenyAssignmentAuthorizationFailed when a deny assignment blocks, else AuthorizationFailed. */
export function requirePermission(ctx: ArmContext, caller: ArmCaller, action: string, scope: string): void {
  const d = decide(ctx, caller, action, scope);
  if (d.allowed) return;
  const deny = d.deniedBy[0];
  if (deny && d.grantedBy.length > 0) {
    throw armErrors.denyAssignmentAuthorizationFailed(caller.clientName, caller.principalId, action, scope, deny.denyAssignmentName ?? '', deny.denyAssignmentId, deny.scope);
  }
  throw armErrors.authorizationFailed(caller.clientName, caller.principalId, action, scope);
}

/** True when the caller (or a group of it) holds any role assignment at, above or below `scope`. */
export function hasAnyAccessWithin(ctx: ArmContext, caller: ArmCaller, scope: string): boolean {
  const who = new Set([caller.principalId, ...ctx.directory.groupIdsOf(caller.principalId)]);
  const s = scope.toLowerCase();
  const sub = /^\/subscriptions\/([^/]+)/.exec(s)?.[1];
  const chain = sub ? (ctx.state.subscription(sub)?.managementGroupChain ?? []).map((m) => `/providers/microsoft.management/managementgroups/${m.toLowerCase()}`) : [];
  return ctx.state.allAssignments().some((a) => {
    if (!who.has(a.principalId)) return false;
    const as = a.scope.toLowerCase();
    return as === '/' || as === s || as.startsWith(`${s}/`) || s.startsWith(`${as}/`) || chain.includes(as);
  });
}
