/**
 * The administrator API (/api/v1/requests) mounted from the service context: delegated tokens
 * validated by the same validator as the agent API's, refusals audited through the collapsing
 * refusal sink.
 */
import { rateLimitStoresFor } from './rate-limit-stores.ts';
import type { ApprovalsModule } from '../approvals/approvals-module.ts';
import type { AuditSink } from '../operations/request-lifecycle.ts';
import { createGroupLookup } from '../signin/group-memberships.ts';
import { createAdminAuthenticator } from '../web/api/admin-authentication.ts';
import { adminBodyErrorHandler, adminRequestsRouter } from '../web/api/admin-requests-routes.ts';
import { API_BASE_PATH } from '../web/api/agent-api-paths.ts';
import type { WebRoute } from '../web/create-web-app.ts';
import type { ServiceContext } from './service-context.ts';

export function mountAdminRequestsApi(ctx: ServiceContext, deps: { approvals: ApprovalsModule; audit: AuditSink }): { route: WebRoute } {
  const authenticate = createAdminAuthenticator({
    validateToken: ctx.tokenValidator,
    policies: ctx.policies,
    tenantId: ctx.endpoints.tenantId,
    memberGroups: createGroupLookup(ctx.serviceCredential, ctx.endpoints),
    audit: deps.audit,
    logger: ctx.logger,
  });
  return {
    route: {
      path: `${API_BASE_PATH}/requests`,
      handlers: [
        adminBodyErrorHandler as unknown as import('express').RequestHandler,
        adminRequestsRouter({
          approvals: deps.approvals,
          authenticate,
          rateLimitStore: rateLimitStoresFor(ctx),
          // a relayed claims challenge names the tenant and the authorize endpoint a person is sent to
          claimsChallenge: { realm: ctx.endpoints.tenantId, authorizationUri: `${ctx.endpoints.browserAuthorityHost}/${ctx.endpoints.tenantId}/oauth2/v2.0/authorize` },
        }),
      ],
    },
  };
}
