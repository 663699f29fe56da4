import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * One exact method and path answered by a fixed chain of handlers, without the router's layer
 * matching (issue 18: on the agents' busiest call, POST /api/v1/decisions, a dozen layers were
 * matched with path-to-regexp and stepped through by `next` for every request). The chain has
 * Express's own semantics: a handler passes on with `next()`, an error with `next(err)` goes to
 * the error handlers in order, and a chain that falls off its end, or an error no handler
 * answers, continues with the caller's `next` (the app's 404 and error handling).
 * Only the exact path is taken; every other spelling Express would also match (a trailing
 * slash, other letter case) goes through the router as before.
 */
export interface DirectRoute {
  method: string;
  /** The full request path, as `req.path` reads it. */
  path: string;
  /** The pattern the request metrics are labelled with (request-context.ts), like the router's `req.route`. */
  label: string;
  handlers: readonly RequestHandler[];
  errorHandlers: readonly ErrorRequestHandler[];
  /** The handlers read the body's exact bytes (rawBodyOf, raw-body.ts) beside the parsed value. */
  keepRawBody?: boolean;
}

/** Where a direct route leaves its metrics label; request-context.ts reads it when no router matched. */
export const DIRECT_ROUTE_LABEL = Symbol('direct route label');
export type DirectRouteRequest = Request & { [DIRECT_ROUTE_LABEL]?: string };

export function runDirectRoute(route: DirectRoute, req: Request, res: Response, done: NextFunction): void {
  (req as DirectRouteRequest)[DIRECT_ROUTE_LABEL] = route.label;
  chainOf(route, req, res, done)();
}

/**
 * The chain's `next`. Kept on a holder object rather than in a named binding: the service runs
 * under tsx, whose esbuild transform (keepNames) renames every closure assigned to a variable
 * with Object.defineProperty as it is created, and this one is created for every request.
 */
function chainOf(route: DirectRoute, req: Request, res: Response, done: NextFunction): NextFunction {
  let handlerIndex = 0;
  let errorIndex = 0;
  // The error handlers come after every handler: once one has run, a plain `next()` leaves the chain.
  let pastHandlers = false;
  const chain: { next?: NextFunction } = {};
  chain.next = (err?: unknown) => {
    const next = chain.next!;
    if (err === 'route' || err === 'router') return done();
    if (err !== undefined && err !== null) {
      pastHandlers = true;
      const handle = route.errorHandlers[errorIndex++];
      if (!handle) return done(err);
      return invoke(handle, err, req, res, next);
    }
    if (pastHandlers) return done();
    const handle = route.handlers[handlerIndex++];
    if (!handle) return done();
    invoke(handle, undefined, req, res, next);
  };
  return chain.next;
}

/**
 * Runs one handler, or one error handler when `err` is given (the chain passes errors only when
 * set); Express 5 forwards a throw or a rejected promise to the error handlers, and so does this.
 * The handler and its arguments are passed in rather than wrapped in a closure per step.
 */
function invoke(handle: RequestHandler | ErrorRequestHandler, err: unknown, req: Request, res: Response, next: NextFunction): void {
  try {
    const result: unknown = err === undefined ? (handle as RequestHandler)(req, res, next) : (handle as ErrorRequestHandler)(err, req, res, next);
    if (result instanceof Promise) result.catch(next);
  } catch (thrown) {
    next(thrown);
  }
}
