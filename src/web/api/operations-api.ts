/**
 * Builds the agent operations API from the service's shared context: the operations module over
 * the store and ARM, the agent authenticator, and the /api/v1 router to mount.
 */
import type { RateLimitStoreFactory } from '../../signin/rate-limits.ts';
import type { TokenCredential } from '@azure/core-auth';
import { createAuditLog } from '../../audit/audit-log.ts';
import type { ApiTokenValidator } from '../../azure/api-token-validator.ts';
import type { AzureEndpoints } from '../../azure/azure-endpoints.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import { agentCredentials, armClientsByCredential, createArmPermissionCache } from '../../operations/operations-azure.ts';
import { createOperationsModule, type OperationsModule, type OperationsModuleDeps } from '../../operations/operations-module.ts';
import type { Agent, AgentDirectory } from '../../operations/operation-types.ts';
import type { PermissionCache } from '../../operations/permission-cache.ts';
import type { AuditSink } from '../../operations/request-lifecycle.ts';
import { createSqliteAgentDirectory } from '../../operations/sqlite-agent-directory.ts';
import type { Policies } from '../../policies/policies.ts';
import type { RoleCatalog } from '../../rbac/role-catalog.ts';
import type { Database } from '../../store/database.ts';
import type { ApiLane, WebRoute } from '../create-web-app.ts';
import { createGraphUserDirectory } from '../../directory/graph-user-directory.ts';
import type { UserDirectory } from '../../directory/requester-identity.ts';
import { createAgentAuthenticator } from './agent-authentication.ts';
import { agentRateLimit } from './agent-rate-limit.ts';
import { API_BASE_PATH } from './agent-api-paths.ts';
import { cachingAgentDirectory } from '../../operations/caching-agent-directory.ts';
import type { RequestHandler } from 'express';
import { bodyErrorHandler, decisionsDirectRoute, operationsApiRouter } from './operations-routes.ts';
import { cachedTokenValidator } from './token-validation-cache.ts';


export { API_BASE_PATH };

export interface OperationsApiDeps {
  store: Database;
  logger: Logger;
  metrics: Metrics;
  endpoints: AzureEndpoints;
  policies: Policies;
  roleCatalog: RoleCatalog;
  /** Elevate's governance credential: reads the agents' role assignments. */
  serviceCredential: TokenCredential;
  tokenValidator: ApiTokenValidator;
  requestTtlSeconds: number;
  permissionCacheSeconds: number;
  /** ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: replaces rate-limits.yaml's default when set. */
  agentRateLimitPerMinute?: number | undefined;
  /** Shared counters when several instances share one database (absent: in this process). */
  rateLimitStore?: RateLimitStoreFactory | undefined;
  /** Defaults: the `agents` tables, and an audit log over the store. */
  agents?: AgentDirectory;
  audit?: AuditSink;
  /** Where authentication refusals go; a sink that collapses floods (the audit module's refusalSink). Default: `audit`. */
  refusalAudit?: AuditSink;
  /** Defaults to the agent's managed identity (createAgentCredential). */
  agentCredential?: (agent: Agent) => TokenCredential;
  permissions?: PermissionCache;
  clock?: () => Date;
  /** Default: Microsoft Graph at endpoints.graphEndpoint with the service credential. */
  userDirectory?: UserDirectory;
  /** ELEVATE_RECONCILE_INTERVAL_SECONDS (default 60). */
  reconcileIntervalSeconds?: number;
  /** ELEVATE_EXECUTION_LEASE_SECONDS, given when several instances share the database. */
  executionLeaseSeconds?: number;
  /** The notification outbox (src/notifications), written with every request change. */
  outbox?: OperationsModuleDeps['outbox'];
  /** src/incidents: an incident trigger must name a recorded incident in the agent's groups. */
  checkTrigger?: OperationsModuleDeps['checkTrigger'];
  /** src/incidents: follows executed alert changestates. */
  onRequestChanged?: OperationsModuleDeps['onRequestChanged'];
  /** Several instances: who runs the singleton jobs, and how changes reach the others. */
  leases?: OperationsModuleDeps['leases'];
  changes?: OperationsModuleDeps['changes'];
  liveness?: OperationsModuleDeps['liveness'];
}

/** What the operations router serves on the API lane: its two resources, everything below them included. */
const LANE_PATHS = /^\/api\/v1\/(operations|decisions)(\/|$)/;

export interface OperationsApi {
  /** Everything else under /api/v1 the operations router answers (its OpenAPI document, 401 for unknown paths). */
  route: WebRoute;
  /** POST /decisions and /operations, the agents' hot path, on the lean API lane (create-web-app.ts). */
  lane: ApiLane;
  module: OperationsModule;
  /** The agent API's authentication and per-agent rate limit, for other agent endpoints (MCP, level raises, incidents). */
  authenticate: ReturnType<typeof createAgentAuthenticator>;
  rateLimit: RequestHandler;
  /** The directory requesters are resolved in, shared with the level raises' four eyes. */
  userDirectory: UserDirectory;
  close(): Promise<void>;
}

export function createOperationsApi(deps: OperationsApiDeps): OperationsApi {
  const logger = deps.logger.child({ component: 'operations' });
  const audit = deps.audit ?? createAuditLog(deps.store, { logger, metrics: deps.metrics });
  const permissions =
    deps.permissions ??
    createArmPermissionCache({
      endpoints: deps.endpoints,
      readerCredential: deps.serviceCredential,
      catalogRoles: deps.roleCatalog.roles,
      permissionCacheSeconds: deps.permissionCacheSeconds,
      metrics: deps.metrics,
      logger,
    });
  const agents = deps.agents ?? cachingAgentDirectory(createSqliteAgentDirectory(deps.store), { ttlMs: 2000 });
  // Who asked for a request, resolved in the directory with Elevate's own credential (Graph User.Read.All).
  const userDirectory =
    deps.userDirectory ?? createGraphUserDirectory(deps.serviceCredential, { graphEndpoint: deps.endpoints.graphEndpoint, graphScope: deps.endpoints.graphScope, logger });
  const module = createOperationsModule({
    db: deps.store,
    audit,
    refusalAudit: deps.refusalAudit,
    policies: deps.policies,
    permissions,
    armClientFor: armClientsByCredential(deps.endpoints, { metrics: deps.metrics, logger }),
    armEndpoint: deps.endpoints.armEndpoint,
    agentCredential: deps.agentCredential ?? agentCredentials(),
    requestTtlSeconds: deps.requestTtlSeconds,
    userDirectory,
    agents,
    ...(deps.reconcileIntervalSeconds !== undefined ? { reconcileIntervalMs: deps.reconcileIntervalSeconds * 1000 } : {}),
    ...(deps.executionLeaseSeconds !== undefined ? { executionLeaseMs: deps.executionLeaseSeconds * 1000 } : {}),
    ...(deps.checkTrigger ? { checkTrigger: deps.checkTrigger } : {}),
    ...(deps.onRequestChanged ? { onRequestChanged: deps.onRequestChanged } : {}),
    logger,
    metrics: deps.metrics,
    ...(deps.clock ? { clock: deps.clock } : {}),
    outbox: deps.outbox,
    leases: deps.leases,
    changes: deps.changes,
    liveness: deps.liveness,
  });
  const authenticate = createAgentAuthenticator({
    validateToken: cachedTokenValidator(deps.tokenValidator),
    agents,
    audit: deps.refusalAudit ?? audit,
    logger,
  });
  const rateLimit = agentRateLimit({
    policy: () => deps.policies.rateLimits,
    configuredDefault: deps.agentRateLimitPerMinute,
    store: deps.rateLimitStore?.('agent-api'),
    audit: deps.refusalAudit ?? audit,
    logger,
  });
  const routeDeps = { service: module.service, authenticate, rateLimit, basePath: API_BASE_PATH };
  // Express calls a four-argument handler only for errors; WebRoute's type does not name that kind.
  const handlers = [bodyErrorHandler(routeDeps) as unknown as RequestHandler, operationsApiRouter(routeDeps)];
  return {
    route: { path: API_BASE_PATH, handlers },
    lane: { path: API_BASE_PATH, handles: (path) => LANE_PATHS.test(path), handlers, direct: [decisionsDirectRoute(routeDeps)] },
    module,
    authenticate,
    rateLimit,
    userDirectory,
    close: () => module.close(),
  };
}
