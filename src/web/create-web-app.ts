import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { ALERTS_PATH } from './api/agent-api-paths.ts';
import { keepRawBody, keepRawBodyUnder } from './raw-body.ts';
import { apiDocsRoute, swaggerUiAssets } from './api-docs-route.ts';
import { runDirectRoute, type DirectRoute } from './direct-route.ts';
import { errorHandler, notFoundHandler } from './error-handlers.ts';
import { healthRoutes } from './health-routes.ts';
import { jsonApiHeaders } from './json-api-headers.ts';
import { homeRoute, type HomeModel, type HomeViewer } from './home-route.ts';
import type { ReadinessCheck } from './readiness.ts';
import { requestContext } from './request-context.ts';
import { securityHeaders } from './security-headers.ts';
import { createViewEngine, DEFAULT_VIEWS_DIR } from './view-engine.ts';

export const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/** Where the API reference page loads swagger-ui-dist's bundle and stylesheet from. */
const SWAGGER_ASSETS = '/static/swagger-ui';

export interface NavItem {
  label: string;
  href: string;
}

/** Anything Express mounts under a path; four-argument error handlers catch errors of the handlers before them. */
export type RouteHandler = Router | RequestHandler | ErrorRequestHandler;

/** A router a later capability mounts: browser pages under a path, or the agent API under /api. */
export interface WebRoute {
  path: string;
  handlers: RouteHandler | RouteHandler[];
  /** Shown in the layout's navigation. */
  nav?: NavItem;
}

/**
 * A bearer-only JSON API served on a lane of its own, right after the request context: the JSON
 * API headers (json-api-headers.ts), the JSON body parser, its handlers, then 404 and errors. The
 * browser stack (helmet's page policy, static files, probes, form parsing, the capabilities'
 * browser middleware, the pages' routers) never runs for it. That is work an agent's call does
 * not need, not a check it skips: sessions and CSRF are not used on the agent API anyway
 * (agent-api-paths.ts), and the lane's handlers authenticate every call themselves.
 */
export interface ApiLane {
  /** The paths the lane answers, every one of them (unknown ones with 404); others go on to the full stack. */
  handles(path: string): boolean;
  /** Where the handlers are mounted. */
  path: string;
  handlers: RouteHandler[];
  /**
   * Exact method and path pairs answered by their own chain, without router matching (the
   * agents' hottest calls). They get the lane's headers and JSON parser first, and its 404 and
   * error handler last, like the routes mounted under `path`.
   */
  direct?: DirectRoute[];
}

/** What the layout shows when the service runs against the sandbox instead of a real tenant. */
export interface SandboxBannerInfo {
  tenantId: string;
  users: Array<{ upn: string; displayName: string; appRoles: string[] }>;
}

export interface WebAppDeps {
  mode: 'sandbox' | 'azure';
  logger: Logger;
  metrics: Metrics;
  trustProxy: boolean;
  /** Served over https: enables HSTS and upgrade-insecure-requests. */
  https: boolean;
  /** Origin browsers are sent to for sign-in (CSP form-action). */
  authorizeOrigin: string;
  readiness: readonly ReadinessCheck[];
  /** Per-check bound for /readyz; a dependency that does not answer in time is not ready. */
  readinessTimeoutMs?: number;
  /** Present in sandbox mode: every page shows the "Sandbox tenant" banner. */
  sandbox?: SandboxBannerInfo;
  /** The start page's model for this viewer (signed in or not, and what their role may see). */
  home?: (viewer: HomeViewer) => Promise<HomeModel> | HomeModel;
  /** Runs before every page and API route (sessions, authentication, CSRF token provision). */
  middleware?: RequestHandler[];
  routes?: WebRoute[];
  /** Served ahead of everything but the request context (ApiLane). */
  apiLanes?: ApiLane[];
  /** Where the layout's sign-in link and sign-out form point, once sign-in exists. */
  auth?: { signInPath: string; signOutPath: string };
  viewsDir?: string;
  publicDir?: string;
  jsonLimit?: string;
}

/** A nav item is current on its own page and below its first path segment (/audit/overview lights "Audit" on /audit/entries/7). */
export function isCurrentSection(href: string, path: string): boolean {
  if (href === '/') return path === '/';
  const section = `/${href.split('/')[1] ?? ''}`;
  return path === section || path.startsWith(`${section}/`);
}

function apiLane(lane: ApiLane, options: { https: boolean; limit: string }): RequestHandler {
  const router = express.Router();
  const headers = jsonApiHeaders({ https: options.https });
  const parseJson = express.json({ limit: options.limit, strict: true });
  const parseJsonKeepingBytes = express.json({ limit: options.limit, strict: true, verify: keepRawBody });
  router.use(headers);
  router.use(parseJson);
  router.use(lane.path, ...lane.handlers);
  router.use(notFoundHandler);
  router.use(errorHandler);
  const direct = new Map<string, DirectRoute>();
  for (const route of lane.direct ?? []) {
    direct.set(`${route.method} ${route.path}`, {
      ...route,
      handlers: [headers, route.keepRawBody ? parseJsonKeepingBytes : parseJson, ...route.handlers, notFoundHandler],
      errorHandlers: [...route.errorHandlers, errorHandler],
    });
  }
  return (req, res, next) => {
    const path = req.path;
    if (!lane.handles(path)) return next();
    const route = direct.size > 0 ? direct.get(`${req.method} ${path}`) : undefined;
    if (route) runDirectRoute(route, req, res, next);
    else router(req, res, next);
  };
}

/**
 * The Express app every capability plugs into. Order matters: request context first (so every
 * response is logged and carries an id), the API lanes, security headers, static files and probes (no body, no
 * session), body parsers, the capabilities' middleware, the pages and API, then 404 and errors.
 */
export function createWebApp(deps: WebAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ? 1 : false);
  app.set('env', 'production'); // Express must never render its own stack-trace error pages.
  createViewEngine(app, deps.viewsDir ?? DEFAULT_VIEWS_DIR);

  app.use(requestContext(deps.logger, deps.metrics));
  const limit = deps.jsonLimit ?? '100kb';
  for (const lane of deps.apiLanes ?? []) app.use(apiLane(lane, { https: deps.https, limit }));
  app.use(securityHeaders({ authorizeOrigin: deps.authorizeOrigin, https: deps.https }));
  app.use(SWAGGER_ASSETS, swaggerUiAssets());
  app.use('/static', express.static(deps.publicDir ?? DEFAULT_PUBLIC_DIR, { index: false, fallthrough: true, maxAge: '1h' }));
  app.use(healthRoutes({ readiness: deps.readiness, registry: deps.metrics.registry, readinessTimeoutMs: deps.readinessTimeoutMs }));

  // The alert intake checks an HMAC over the exact body bytes of other tools' webhooks.
  app.use(express.json({ limit, strict: true, verify: keepRawBodyUnder(ALERTS_PATH) }));
  app.use(express.urlencoded({ extended: false, limit, parameterLimit: 200 }));

  const nav: NavItem[] = [{ label: 'Home', href: '/' }, ...(deps.routes ?? []).flatMap((r) => (r.nav ? [r.nav] : []))];
  app.use((req, res, next) => {
    res.locals.mode = deps.mode;
    res.locals.sandbox = deps.sandbox;
    res.locals.nav = nav.map((item) => ({ ...item, current: isCurrentSection(item.href, req.path) }));
    res.locals.auth = deps.auth;
    next();
  });
  for (const m of deps.middleware ?? []) app.use(m);

  app.use(homeRoute(deps.home));
  app.use(apiDocsRoute({ docsPath: '/api/v1/docs', specPath: '/api/v1/openapi.json', assetsPath: SWAGGER_ASSETS }));
  for (const route of deps.routes ?? []) {
    const handlers = Array.isArray(route.handlers) ? route.handlers : [route.handlers];
    app.use(route.path, ...handlers);
  }

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
