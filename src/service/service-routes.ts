import { rateLimitStoresFor } from './rate-limit-stores.ts';
import { createRecentDecisions } from '../approvals/recent-decisions.ts';
import { createAuditModule } from '../audit/audit-module.ts';
import { mountLevels } from './mount-levels.ts';
import { mountSignIn } from './mount-sign-in.ts';
import { mountMcp } from './mount-mcp.ts';
import { createDriftStatusSource } from '../levels/drift-status.ts';
import { exceptOnAgentApi } from '../web/api/agent-api-paths.ts';
import { API_BASE_PATH, createOperationsApi } from '../web/api/operations-api.ts';
import { raisesApiRouter } from '../web/api/raises-routes.ts';
import { mountAdminRequestsApi } from './mount-admin-requests-api.ts';
import type { WebAppDeps } from '../web/create-web-app.ts';
import { mountApprovalsForService } from './mount-approvals.ts';
import { mountNotifications } from './mount-notifications.ts';
import { approvalEvents } from '../web/pages/approval-events.ts';
import { mountAuditWeb } from '../web/pages/audit-mount.ts';
import { homeDashboard } from './home-dashboard.ts';
import { createIncidentsModule } from '../incidents/incidents-module.ts';
import { createIncidentActivity } from '../incidents/incident-activity.ts';
import { mountIncidents } from './mount-incidents.ts';
import type { ServiceContext } from './service-context.ts';

/** What capabilities add to the web app: their routers, shared middleware, sign-in links, home page. */
export type ServiceRoutes = Pick<WebAppDeps, 'routes' | 'middleware' | 'auth' | 'home' | 'apiLanes'> & {
  /** Readiness checks of the capabilities' own dependencies (e.g. the external audit checkpoint stores). */
  readiness?: WebAppDeps['readiness'];
  /** Settles when start-up work the routes depend on is done (e.g. the sandbox agent registered). */
  ready?: Promise<void>;
};

/**
 * The one place capabilities are mounted into the running service. Each later capability adds its
 * routers here from the shared context (sessions and sign-in middleware, approval pages, the agent
 * API under /api). The skeleton itself mounts nothing beyond the built-in pages and probes.
 */
export function serviceRoutes(ctx: ServiceContext): ServiceRoutes {
  // The audit log with signed checkpoints, retention and collapsed refusals (src/audit); sign-in records through it.
  const audit = createAuditModule({ db: ctx.store, config: ctx.config.audit, logger: ctx.logger, metrics: ctx.metrics, credential: ctx.serviceCredential, leases: ctx.leases });
  audit.start();
  ctx.onShutdown(() => audit.close());
  // Sign-in and sessions (src/signin): every browser route sees res.locals.user/ability after this.
  const signIn = mountSignIn(ctx, { audit: audit.refusalSink });
  // The auditor's pages (/audit), the audit API (/api/v1/audit) and the 401/403 recorder.
  // Agent names beside agent ids come from the registry (mounted below; read only per request).
  const auditWeb = mountAuditWeb(audit, {
    signIn: signIn.signIn,
    validateToken: ctx.tokenValidator,
    policies: ctx.policies,
    logger: ctx.logger,
    agents: { list: () => levels.runtime.registry.list() },
    incidentOfRequest: (requestId) => createIncidentActivity(ctx.store).incidentOfRequest(requestId),
  });
  // Incidents from Azure Monitor alerts (src/incidents): operations naming one are checked and followed.
  const incidents = createIncidentsModule({
    db: ctx.store,
    audit: audit.refusalSink,
    refusalAudit: audit.refusalSink,
    agents: { list: () => levels.runtime.registry.list() },
    logger: ctx.logger.child({ component: 'incidents' }),
    changes: ctx.changes,
  });
  // Notifications (src/notifications): the outbox written with every request change, delivered in the background.
  const notifications = mountNotifications(ctx, { audit: audit.audit });
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
    reconcileIntervalSeconds: ctx.config.requests.reconcileIntervalSeconds,
    // Leases only where another instance could take an execution over (a shared database).
    ...(ctx.liveness ? { executionLeaseSeconds: ctx.config.requests.executionLeaseSeconds } : {}),
    permissionCacheSeconds: ctx.config.permissionCacheSeconds,
    agentRateLimitPerMinute: ctx.config.agentRateLimitPerMinute,
    rateLimitStore: rateLimitStoresFor(ctx),
    // Guardrail and input refusals (operation.forbidden/refused) collapse per agent and reason per minute; all else is appended as is.
    audit: audit.refusalSink,
    refusalAudit: audit.refusalSink,
    outbox: notifications.outbox,
    checkTrigger: incidents.checkTrigger,
    onRequestChanged: incidents.onRequestChanged,
    leases: ctx.leases,
    changes: ctx.changes,
    liveness: ctx.liveness,
  });
  ctx.onShutdown(() => operations.close());
  notifications.listenTo(operations.module.notifier);
  // The MCP endpoint for remote AI agents (/api/v1/mcp), over the same use cases; mounted before
  // the /api/v1 router, whose authentication would otherwise run first for it.
  const mcp = mountMcp(ctx, operations);
  // Agent registry and level enforcement (/agents); applied roles reach the permission cache at once.
  const levels = mountLevels(ctx, {
    audit: audit.audit,
    auditReader: audit.audit,
    requireAbility: signIn.signIn.requireAbility,
    csrfProtection: signIn.signIn.csrfProtection,
    onRolesChanged: (principalId) => operations.module.permissions.invalidate(principalId),
    userDirectory: operations.userDirectory,
  });
  // The agent's time-bound level raises under /api/v1/level-raises (ahead of the operations router).
  const raisesRoute = { path: API_BASE_PATH, handlers: [raisesApiRouter({ raises: levels.runtime.raises, authenticate: operations.authenticate, rateLimit: operations.rateLimit, audit: audit.audit, basePath: API_BASE_PATH })] };
  // Approval pages (/approvals) and the fresh-sign-in continuation that runs an elevation (src/approvals).
  const approvals = mountApprovalsForService(ctx, { operations: operations.module, signIn: signIn.signIn, audit: audit.audit, outbox: notifications.outbox });
  // The administrator API for `elevate requests` (/api/v1/requests): before the agent API's /api/v1 router.
  const adminApi = mountAdminRequestsApi(ctx, { approvals: approvals.module, audit: audit.refusalSink });
  // /approvals live updates (Server-Sent Events), woken by the request notifier; before /approvals/:id.
  const approvalsLive = {
    path: '/approvals/events',
    handlers: approvalEvents({
      requireAbility: signIn.signIn.requireAbility,
      subscribe: (listener) => operations.module.notifier.subscribe(listener),
      countPending: () => approvals.module.countPending(),
      shutdown: ctx.stopping ?? new AbortController().signal,
    }),
  };
  // A verification run that finds the chain or its checkpoints broken is announced.
  audit.verifier.onFailure?.((report) => notifications.auditVerificationFailed(report.firstProblem?.message ?? 'the audit log did not verify', report.firstProblem?.seq));
  notifications.start();
  const incidentWeb = mountIncidents(ctx, {
    module: incidents,
    operations,
    requireAbility: signIn.signIn.requireAbility,
    agentNames: async () => new Map((await levels.runtime.registry.list()).map((a) => [a.id, a.name])),
  });
  // The agent API authenticates by bearer token on each call: browser sessions are skipped there.
  return {
    middleware: [...auditWeb.middleware, ...signIn.middleware].map(exceptOnAgentApi),
    // The operations and decisions endpoints, the agents' hot path, on the lean API lane (create-web-app.ts).
    apiLanes: [operations.lane],
    routes: [...signIn.routes, mcp, raisesRoute, adminApi.route, ...incidentWeb.apiRoutes, operations.route, ...auditWeb.routes, ...levels.routes, approvalsLive, ...approvals.routes, ...incidentWeb.pageRoutes],
    auth: signIn.auth,
    home: homeDashboard({
      pending: approvals.module,
      recentDecisions: createRecentDecisions(ctx.store, operations.module.store),
      agents: levels.runtime.registry,
      // The same plan as the agent's plan page, at most once per inventory refresh period.
      drift: createDriftStatusSource({
        enforcer: levels.runtime.enforcer,
        maxAgeSeconds: ctx.config.inventoryRefreshSeconds,
        onDriftFound: (agentId, status) => notifications.driftFound(agentId, status.driftCount),
      }),
      signInPath: signIn.auth.signInPath,
    }),
    readiness: audit.readiness,
    // Listen once interrupted executions are reconciled, so no agent sees a request a dead process left.
    ready: Promise.all([levels.ready, operations.module.reconciled, approvals.module.reconciled]).then(() => undefined),
  };
}
