/**
 * The approval capability mounted into the running service from its context (the one-line hook
 * in service-routes.ts): the module, the /approvals pages and the elevation continuation.
 */
import type { ServiceContext } from './service-context.ts';
import { mountApprovals, type ApprovalsMount, type ApprovalsMountDeps } from '../web/pages/approval-mount.ts';

export function mountApprovalsForService(
  ctx: ServiceContext,
  deps: { operations: ApprovalsMountDeps['operations']; signIn: ApprovalsMountDeps['signIn']; audit: ApprovalsMountDeps['audit']; outbox?: ApprovalsMountDeps['outbox'] },
): ApprovalsMount {
  const mounted = mountApprovals({
    db: ctx.store,
    operations: deps.operations,
    signIn: deps.signIn,
    audit: deps.audit,
    policies: ctx.policies,
    endpoints: ctx.endpoints,
    serviceCredentialSource: ctx.serviceCredentialSource,
    freshAuthSeconds: ctx.config.requests.freshAuthSeconds,
    reconcileIntervalMs: ctx.config.requests.reconcileIntervalSeconds * 1000,
    logger: ctx.logger,
    outbox: deps.outbox,
    leases: ctx.leases,
  });
  ctx.onShutdown(() => mounted.module.close());
  return mounted;
}
