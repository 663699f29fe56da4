import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { DIRECT_ROUTE_LABEL, type DirectRouteRequest } from './direct-route.ts';

/** A caller's request id is kept only when it is short and plain; otherwise we mint one. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** Probes that would flood the log at info level. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by requestContext: echoed in X-Request-Id and on every log line of this request. */
    id: string;
    log: Logger;
  }
}

const PARENT = Symbol('request logger parent');
const CHILD = Symbol('request logger');
type LazyLogRequest = Request & { [PARENT]: Logger; [CHILD]?: Logger };
const withLazyLog = new WeakSet<object>();

/**
 * `req.log` as a getter on the app's request prototype: the pino child with the request id is
 * made when a line is first written for the request. Most requests never write one (the access
 * line below the configured level), and a child per call was a measurable share of the agents'
 * hot path (issue 18). A getter on each request object instead would cost more than the child.
 */
function lazyLogOn(proto: object): void {
  if (withLazyLog.has(proto)) return;
  withLazyLog.add(proto);
  Object.defineProperty(proto, 'log', {
    configurable: true,
    get(this: LazyLogRequest) {
      return (this[CHILD] ??= this[PARENT].child({ reqId: this.id }));
    },
    set(this: LazyLogRequest, value: Logger) {
      this[CHILD] = value;
    },
  });
}

/**
 * Request id, a child logger, and one access-log line plus metrics per request. Only the path is
 * logged, never the query string (an OAuth callback carries the authorization code there) and
 * never headers.
 */
export function requestContext(logger: Logger, metrics: Pick<Metrics, 'httpRequests' | 'httpDuration'>): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    lazyLogOn(Object.getPrototypeOf(req) as object);
    (req as LazyLogRequest)[PARENT] = logger;
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req);
      const status = res.statusCode;
      metrics.httpRequests.inc({ method: req.method, route, status: `${Math.floor(status / 100)}xx` });
      metrics.httpDuration.observe({ method: req.method, route }, seconds);
      const level = status >= 500 ? 'error' : QUIET_PATHS.has(req.path) ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      req.log[level]({ method: req.method, path: req.path, route, status, ms: Math.round(seconds * 1000) }, 'request');
    });
    next();
  };
}

/** The matched route pattern (bounded cardinality), or `unmatched`. */
function routeLabel(req: Request): string {
  const pattern: unknown = req.route?.path;
  if (typeof pattern === 'string') return `${req.baseUrl}${pattern}` || '/';
  return (req as DirectRouteRequest)[DIRECT_ROUTE_LABEL] ?? 'unmatched';
}
