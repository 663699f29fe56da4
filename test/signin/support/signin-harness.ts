import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Router } from 'express';
import { createApiTokenValidator } from '../../../src/azure/api-token-validator.ts';
import { resolveAzureEndpoints, resolveServiceCredentialSource, type SandboxEndpointSource } from '../../../src/azure/azure-endpoints.ts';
import { createServiceCredential } from '../../../src/azure/service-credential.ts';
import { createAuditLog, type AuditLog } from '../../../src/audit/audit-log.ts';
import { parseConfig } from '../../../src/config/load-config.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { loadPolicies } from '../../../src/policies/load-policies.ts';
import { loadBuiltinCatalog } from '../../../src/rbac/role-catalog.ts';
import type { ServiceContext } from '../../../src/service/service-context.ts';
import { mountSignIn, type SignInMount } from '../../../src/service/mount-sign-in.ts';
import type { CompletedSignIn } from '../../../src/signin/complete-sign-in.ts';
import { isFreshSignInFor } from '../../../src/signin/sign-in-continuations.ts';
import { abilityForUser, accessOf } from '../../../src/signin/access-control.ts';
import type { Database } from '../../../src/store/database.ts';
import { openConfiguredStore } from '../../../src/store/open-store.ts';
import { testStoreEnv } from '../../support/test-store.ts';
import { createWebApp } from '../../../src/web/create-web-app.ts';

export type SandboxUnderTest = SandboxEndpointSource;

export interface Harness {
  url: string;
  db: Database;
  audit: AuditLog;
  metrics: ReturnType<typeof createMetrics>;
  mount: SignInMount;
  /** Moves the service's clock (sessions, sign-in flow ages) forward. */
  advance(seconds: number): void;
  /** What the `probe` continuation saw on the last bound sign-in. */
  lastBound:
    | { signIn: CompletedSignIn; fresh: boolean; tokenShape: boolean; tokenOid: string | undefined; accessUserOid: string | undefined; canApprove: boolean }
    | undefined;
  close(): Promise<void>;
}

/**
 * The real sign-in stack (mountSignIn over the real web app, store, audit log and policies)
 * against the shared sandbox, on an ephemeral port, with a clock the test moves. Besides /auth/*
 * it mounts stand-ins for representative service routes, each guarded the way the real one is.
 */
export interface HarnessOptions {
  env?: Record<string, string>;
  /** Sign-in attempts per minute per address; tests sign in often from one address. */
  signInLimit?: number;
}

export async function startHarness(sandbox: SandboxUnderTest, options: HarnessOptions = {}): Promise<Harness> {
  // Listen first: the redirect URI needs the port.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const store = options.env?.ELEVATE_DB_PATH === undefined && options.env?.ELEVATE_DATABASE_URL === undefined ? await testStoreEnv(':memory:', 'elevate_signin') : undefined;
  const config = parseConfig({ ELEVATE_HOST: '127.0.0.1', ELEVATE_PORT: String(port), ELEVATE_DB_PATH: ':memory:', ...store?.env, ELEVATE_LOG_LEVEL: 'silent', ...options.env });
  const logger = createLogger(process.env.SIGNIN_TEST_LOG ?? 'silent');
  const metrics = createMetrics();
  const endpoints = resolveAzureEndpoints(config, sandbox);
  const serviceCredentialSource = resolveServiceCredentialSource(config, sandbox);
  const catalog = loadBuiltinCatalog();
  const db = await openConfiguredStore(config);
  const audit = createAuditLog(db);
  const shutdown: Array<() => Promise<void> | void> = [];
  const ctx: ServiceContext = {
    config,
    logger,
    metrics,
    endpoints,
    store: db,
    policies: loadPolicies(config.policiesDir, { hasRole: (name) => catalog.byName(name) !== undefined }),
    roleCatalog: catalog,
    serviceCredentialSource,
    serviceCredential: createServiceCredential(endpoints, serviceCredentialSource),
    tokenValidator: createApiTokenValidator({ issuers: endpoints.issuers, tenantId: endpoints.tenantId, audiences: endpoints.apiAudiences, jwksUri: endpoints.jwksUri }),
    sandbox: undefined,
    onShutdown: (fn) => {
      shutdown.push(fn);
    },
  };
  let nowMs = Date.now();
  const limit = { limit: options.signInLimit ?? 1000, windowMs: 60_000 };
  const mount = mountSignIn(ctx, { audit, now: () => nowMs, rateLimits: { signIn: limit, decisions: limit } });
  const { signIn } = mount;

  const harness: Harness = {
    url: `http://127.0.0.1:${port}`,
    db,
    audit,
    metrics,
    mount,
    advance: (seconds) => {
      nowMs += seconds * 1000;
    },
    lastBound: undefined,
    close: async () => {
      for (const fn of shutdown.reverse()) await fn();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db.close();
      await store?.drop();
    },
  };

  signIn.continuations.register('probe', async (req, res, completed) => {
    const token = completed.apiToken;
    harness.lastBound = {
      signIn: completed,
      fresh: isFreshSignInFor(completed, completed.boundTo ?? { kind: '', requestId: '' }, 300, Math.floor(nowMs / 1000)),
      tokenShape: token !== undefined && /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/.test(token.reveal()),
      tokenOid: token?.oid,
      // What the request's access context says now: it must already be the new user.
      accessUserOid: accessOf(req).user?.oid,
      canApprove: abilityForUser(completed.user, ctx.policies).can('approve', 'Approval'),
    };
    res.redirect(303, '/probe/requests');
  });

  // Stand-ins for representative routes: each guarded exactly as its real counterpart must be.
  const probes = Router();
  probes.get('/requests', signIn.requireAbility('read', 'Request'), (_req, res) => {
    res.type('text').send('requests page');
  });
  probes.get('/audit', signIn.requireAbility('read', 'AuditLog'), (_req, res) => {
    res.type('text').send('audit page');
  });
  probes.post('/approvals/:id/approve', signIn.decisionLimiter, signIn.csrfProtection, signIn.requireAbility('approve', 'Approval'), (_req, res) => {
    res.type('text').send('approved');
  });
  probes.post('/agents', signIn.csrfProtection, signIn.requireAbility('manage', 'Agent'), (_req, res) => {
    res.type('text').send('agent registered');
  });
  probes.get('/form', signIn.requireSignIn, (_req, res) => {
    res.json({ csrfToken: res.locals.csrfToken, user: res.locals.user });
  });
  probes.get('/elevate/:id', signIn.requireAbility('approve', 'Approval'), async (req, res, next) => {
    try {
      // as the approval pages do: prompt=login, no max_age (auth_time is an optional claim)
      await signIn.beginSignIn(req, res, { prompt: 'login', apiScope: true, boundTo: { kind: 'probe', requestId: String(req.params.id) } });
    } catch (err) {
      next(err);
    }
  });
  const api = Router();
  api.get('/audit', signIn.requireAbility('read', 'AuditLog'), (_req, res) => {
    res.json({ entries: [] });
  });

  const app = createWebApp({
    mode: 'sandbox',
    logger,
    metrics,
    trustProxy: false,
    https: false,
    authorizeOrigin: endpoints.browserAuthorityHost,
    readiness: [],
    middleware: mount.middleware,
    routes: [...mount.routes, { path: '/probe', handlers: probes }, { path: '/api/probe', handlers: api }],
    auth: mount.auth,
  });
  server.on('request', app);
  return harness;
}
