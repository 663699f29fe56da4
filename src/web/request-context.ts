import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { DIRECT_ROUTE_LABEL, type DirectRouteRequest } from './direct-route.ts';
import { recordedPathOf } from './redacted-url.ts';

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
 * Label sets remembered per middleware. Route labels are patterns, Node's parser knows a fixed
 * set of methods and there are five status classes, so a few hundred at most in practice; the
 * bound holds even if a mount path's letter case (Express matches it case-insensitively) made
 * more.
 */
export const MAX_LABEL_SETS = 1000;

/**
 * `req.log` as a getter on the app's request prototype: the pino child with the request id is
 * made when a line is first written for the request. Most requests never write one (the access
 * line below the configured level), and a child per call was a measurable share of the agents'
 * hot path (issue 18). A getter on each request object instead would cost more than the child.
 */
function lazyLogOn(proto: LazyLogRequest, parent: Logger): void {
  if (withLazyLog.has(proto)) return;
  withLazyLog.add(proto);
  // One app prototype per Express app, so one parent per app: set here once, read by every request through the prototype.
  proto[PARENT] = parent;
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
 *
 * Lean on purpose: it runs for every request, the agents' hot path included (issue 18). The
 * header is read from `req.headers` (Node lower-cases names and joins repeats, which the id
 * pattern then refuses), the logger parent is set once per app prototype rather than on each
 * request, time is a float from performance.now() rather than two BigInts, and the metric
 * label sets are made once per method, route and status class and then reused (at most
 * MAX_LABEL_SETS remembered; past that, each request makes its own, as before).
 */
export function requestContext(logger: Logger, metrics: Pick<Metrics, 'httpRequests' | 'httpDuration'>): RequestHandler {
  const labelSets = new Map<string, { request: { method: string; route: string; status: string }; duration: { method: string; route: string } }>();
  const labelsOf = (method: string, route: string, status: number) => {
    const statusClass = `${Math.floor(status / 100)}xx`;
    const key = `${method} ${statusClass} ${route}`;
    let sets = labelSets.get(key);
    if (!sets) {
      sets = { request: { method, route, status: statusClass }, duration: { method, route } };
      if (labelSets.size < MAX_LABEL_SETS) labelSets.set(key, sets);
    }
    return sets;
  };
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    lazyLogOn(Object.getPrototypeOf(req) as LazyLogRequest, logger);
    res.setHeader('X-Request-Id', req.id);
    const started = performance.now();
    res.on('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      const route = routeLabel(req);
      const status = res.statusCode;
      const labels = labelsOf(req.method, route, status);
      metrics.httpRequests.inc(labels.request);
      metrics.httpDuration.observe(labels.duration, seconds);
      // Below error, no access line is written when even info is off (debug is below info): skip reading the path.
      if (status < 500 && !logger.isLevelEnabled('info')) return;
      // The whole path (req.path is the router's remainder once a mounted router has answered), without the query, a credential in it redacted.
      const path = recordedPathOf(req.originalUrl);
      const level = status >= 500 ? 'error' : QUIET_PATHS.has(path) ? 'debug' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      req.log[level]({ method: req.method, path, route, status, ms: Math.round(seconds * 1000) }, 'request');
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
