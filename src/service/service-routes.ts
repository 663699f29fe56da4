import { createAuditLog } from '../audit/audit-log.ts';
import { mountSignIn } from '../signin/mount-sign-in.ts';
import { exceptOnAgentApi } from '../web/api/agent-api-paths.ts';
import { createOperationsApi } from '../web/api/operations-api.ts';
import type { WebAppDeps } from '../web/create-web-app.ts';
import type { ServiceContext } from './service-context.ts';

/** What capabilities add to the web app: their routers, shared middleware, sign-in links, home page. */
export type ServiceRoutes = Pick<WebAppDeps, 'routes' | 'middleware' | 'auth' | 'home'>;

/**
 * The one place capabilities are mounted into the running service. Each later capability adds its
 * routers here from the shared context (sessions and sign-in middleware, approval pages, the agent
 * API under /api). The skeleton itself mounts nothing beyond the built-in pages and probes.
 */
export function serviceRoutes(ctx: ServiceContext): ServiceRoutes {
  // Sign-in and sessions (src/signin): every browser route sees res.locals.user/ability after this.
  const signIn = mountSignIn(ctx, { audit: createAuditLog(ctx.store, { logger: ctx.logger, metrics: ctx.metrics }) });
  // The agent operations API (src/operations, src/web/api) under /api/v1.
  const operations = createOperationsApi({
    store: ctx.store,
    logger: ctx.logger,
    metrics: ctx.metrics,
    endpoints: ctx.endpoints,
    policies: ctx.policies,
    roleCatalog: ctx.roleCatalog,
    serviceCredential: ctx.serviceCredential,
    tokenValidator: ctx.tokenValidator,
    requestTtlSeconds: ctx.config.requests.ttlSeconds,
    permissionCacheSeconds: ctx.config.permissionCacheSeconds,
  });
  // The agent API authenticates by bearer token on each call: browser sessions are skipped there.
  return { middleware: signIn.middleware.map(exceptOnAgentApi), routes: [...signIn.routes, operations.route], auth: signIn.auth };
}
