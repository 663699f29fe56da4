import { ServiceStartError } from './service-start-error.ts';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import { createApiTokenValidator } from '../azure/api-token-validator.ts';
import { resolveAzureEndpoints, resolveServiceCredentialSource } from '../azure/azure-endpoints.ts';
import { createServiceCredential } from '../azure/service-credential.ts';
import type { Config } from '../config/load-config.ts';
import { applySdkEnvironment, currentExtraCaFile } from '../config/sdk-environment.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { loadPolicies } from '../policies/load-policies.ts';
import { PolicyError } from '../policies/policy-error.ts';
import { loadBuiltinCatalog, loadCatalogFile, type RoleCatalog } from '../rbac/role-catalog.ts';
import type { SandboxHandle } from '../sandbox/start-sandbox.ts';
import type { Database } from '../store/database.ts';
import { openConfiguredStore } from '../store/open-store.ts';
import { openPostgresCoordination } from '../store/postgres-coordination.ts';
import { DEFAULT_POSTGRES_MIGRATIONS_DIR } from '../store/postgres-migrations.ts';
import { createWebApp } from '../web/create-web-app.ts';
import { databaseCheck, identityDiscoveryCheck, migrationsCheck, policiesCheck } from './readiness-checks.ts';
import type { ServiceContext } from './service-context.ts';
import { serviceRoutes, type ServiceRoutes } from './service-routes.ts';

export interface RunningService {
  /** Where Elevate listens (its public URL when one is configured). */
  url: string;
  /** The bound address, e.g. http://127.0.0.1:3000. */
  listenUrl: string;
  context: ServiceContext;
  /** The web app as mounted (its router lists every route, e.g. for a sweep over all of them). */
  app: Express;
  close(): Promise<void>;
}

/** A start-up failure with a one-line, user-facing message. */
export { ServiceStartError };

/**
 * The composition root: config -> sandbox (sandbox mode) -> Azure endpoints and credentials ->
 * store -> role catalog and policies -> web app -> listen. Anything that fails closes what was
 * already started and throws; nothing is half-running.
 */
export interface StartServiceOptions {
  logger?: Logger;
  /** What to mount; the capabilities listed in service-routes.ts unless given. */
  routes?: (ctx: ServiceContext) => ServiceRoutes;
  /** Elevate's clock (level-raise windows); the wall clock unless given (a test clock in tests). */
  clock?: () => Date;
}

export async function startService(config: Config, options: StartServiceOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const cleanup: Array<() => Promise<void>> = [];
  const stopping = new AbortController();
  const closeAll = async () => {
    stopping.abort();
    for (const fn of cleanup.reverse()) await fn().catch((err: unknown) => logger.warn({ reason: String(err) }, 'error while stopping'));
    cleanup.length = 0;
  };

  try {
    let sandbox: SandboxHandle | undefined;
    if (config.mode === 'sandbox') {
      // Loaded only in sandbox mode: with a real tenant none of the sandbox's code is even imported.
      const { startSandbox } = await import('../sandbox/start-sandbox.ts');
      sandbox = await startSandbox({
        httpsPort: config.sandbox.httpsPort,
        httpPort: config.sandbox.httpPort,
        dataDir: config.sandbox.dataDir,
        ...(config.sandbox.seedFile ? { seedFile: config.sandbox.seedFile } : {}),
        extraCaCertsFile: currentExtraCaFile(),
        // startSandbox names its own component; a child here would print the key twice.
        logger,
      });
      const started = sandbox;
      cleanup.push(() => started.close());
    }

    const endpoints = resolveAzureEndpoints(config, sandbox);
    // Before any credential exists: managed identity reads this from process.env per request.
    applySdkEnvironment(endpoints);
    const serviceCredentialSource = resolveServiceCredentialSource(config, sandbox);
    const serviceCredential = createServiceCredential(endpoints, serviceCredentialSource);
    const tokenValidator = createApiTokenValidator({ issuers: endpoints.issuers, tenantId: endpoints.tenantId, audiences: endpoints.apiAudiences, jwksUri: endpoints.jwksUri });

    // On PostgreSQL with authentication=entra, Elevate signs in to the database as itself, with
    // the same credential it uses for ARM (its managed identity in production).
    const store: Database = await openConfiguredStore(config, {
      credential: serviceCredential,
      onIdleConnectionError: (err) => logger.warn({ reason: firstLine(err) }, 'database connection lost while idle; the next query reconnects'),
    }).catch((err: unknown) => {
      // Named by the display URL (no password) or the file; store errors never carry the password.
      throw new ServiceStartError(
        config.database
          ? `ELEVATE_DATABASE_URL: cannot open ${config.database.display}: ${firstLine(err)}`
          : `ELEVATE_DB_PATH: cannot open ${config.dbPath}: ${firstLine(err)}`,
      );
    });
    cleanup.push(() => store.close());
    // Several instances on one PostgreSQL database: singleton jobs run on the leader only (advisory
    // locks, taken over when it dies) and changes wake the other instances (LISTEN/NOTIFY). Closed
    // after the modules stop, before the store (cleanup runs in reverse).
    const coordination = config.database
      ? openPostgresCoordination(config.database.settings(), { db: store, credential: serviceCredential, logger: logger.child({ component: 'coordination' }) })
      : undefined;
    if (coordination) cleanup.push(() => coordination.close());
    // This instance's liveness lock is held before it writes any execution or token row: other
    // instances' reconcilers then leave them alone. Fail closed: not held, not started.
    if (coordination && !(await coordination.liveness.hold())) {
      throw new ServiceStartError(`ELEVATE_DATABASE_URL: cannot take this instance's liveness lock on ${config.database!.display}`);
    }

    const roleCatalog = loadRoleCatalog(config);
    const policies = loadPoliciesOrExplain(config.policiesDir, roleCatalog);

    const context: ServiceContext = {
      config,
      logger,
      metrics,
      endpoints,
      store,
      policies,
      roleCatalog,
      serviceCredentialSource,
      serviceCredential,
      tokenValidator,
      ...(coordination ? { leases: coordination.leases, changes: coordination.changes, liveness: coordination.liveness } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      sandbox,
      onShutdown: (fn) => cleanup.push(async () => fn()),
      stopping: stopping.signal,
      publicUrl: (config.http.publicUrl ?? `http://${displayHost(config.http.host)}:${config.http.port}`).replace(/\/+$/, ''),
    };
    const { ready, readiness: capabilityReadiness = [], ...mounted } = (options.routes ?? serviceRoutes)(context);
    // Listen only once the routes can answer: an agent calling right after start must be known.
    await ready;
    const app = createWebApp({
      mode: config.mode,
      logger,
      metrics,
      trustProxy: config.http.trustProxy,
      https: config.http.publicUrl?.startsWith('https://') ?? false,
      authorizeOrigin: endpoints.browserAuthorityHost,
      readiness: [databaseCheck(store), migrationsCheck(store, config.database ? DEFAULT_POSTGRES_MIGRATIONS_DIR : undefined), policiesCheck(() => context.policies !== undefined), identityDiscoveryCheck(endpoints), ...capabilityReadiness],
      ...(sandbox ? { sandbox: { tenantId: sandbox.tenant.tenantId, users: sandbox.tenant.users.map((u) => ({ upn: u.upn, displayName: u.displayName, appRoles: u.appRoles })) } } : {}),
      ...mounted,
    });

    const server = await listen(app, config.http.host, config.http.port);
    cleanup.push(() => closeServer(server));
    const port = (server.address() as AddressInfo).port;
    const listenUrl = `http://${displayHost(config.http.host)}:${port}`;
    logger.info({ url: listenUrl, mode: config.mode }, 'Elevate listening');
    return { url: config.http.publicUrl ?? listenUrl, listenUrl, context, app, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function loadRoleCatalog(config: Config): RoleCatalog {
  try {
    return config.rolesFile ? loadCatalogFile(config.rolesFile) : loadBuiltinCatalog();
  } catch (err) {
    throw new ServiceStartError(`ELEVATE_ROLES_FILE: ${firstLine(err)}`);
  }
}

function loadPoliciesOrExplain(dir: string, catalog: RoleCatalog) {
  try {
    return loadPolicies(dir, { hasRole: (name) => catalog.byName(name) !== undefined });
  } catch (err) {
    if (err instanceof PolicyError) {
      const more = err.lines.length > 1 ? ` (and ${err.lines.length - 1} more problem${err.lines.length > 2 ? 's' : ''})` : '';
      throw new ServiceStartError(`policies: ${err.lines[0]}${more}`);
    }
    throw err;
  }
}

function listen(app: ReturnType<typeof createWebApp>, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new ServiceStartError(err.code === 'EADDRINUSE' ? `ELEVATE_PORT: ${host}:${port} is already in use` : `cannot listen on ${host}:${port}: ${err.message}`));
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive browser connections would otherwise hold the close open.
    server.closeIdleConnections();
  });
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
