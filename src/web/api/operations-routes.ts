/**
 * HTTP for the agent operations API under /api/v1. Each handler reads its input, calls one use
 * case of the operations service, and renders the result; every decision is made in the service.
 */
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { OperationsService, ServiceResult } from '../../operations/operations-service.ts';
import type { Agent } from '../../operations/operation-types.ts';
import { agentAuthentication, sendAuthRefusal, type createAgentAuthenticator } from './agent-authentication.ts';
import { buildOpenApiDocument } from './openapi.ts';
import type { DirectRoute } from '../direct-route.ts';
import { rawBodyOf } from '../raw-body.ts';

export interface OperationsRoutesDeps {
  service: OperationsService;
  authenticate: ReturnType<typeof createAgentAuthenticator>;
  /** Where the router is mounted, for the OpenAPI servers entry and Location headers. */
  basePath?: string;
  /** Per-agent rate limit (agent-rate-limit.ts): runs once the agent is known, before any route. */
  rateLimit: RequestHandler;
}

/** body-parser failures, answered as the API's errors (and audited once the caller is known). */
const BODY_ERRORS: Record<string, [400 | 413, string, string]> = {
  'entity.parse.failed': [400, 'invalid_json', 'request body is not valid JSON'],
  'entity.too.large': [413, 'payload_too_large', 'request body is too large'],
  'encoding.unsupported': [400, 'invalid_json', 'request body encoding is not supported'],
  'charset.unsupported': [400, 'invalid_json', 'request body charset is not supported'],
  'request.aborted': [400, 'invalid_json', 'request was aborted'],
};

/**
 * The JSON of decisions, by identity, for POST /decisions only: a remembered decision
 * (decision-memo.ts) is one deep-frozen object shared by every call that gets it, so its text
 * cannot differ from one call to the next; a decision made afresh is not frozen and is written
 * out each time. Weakly held: the text goes when the memo lets the decision go.
 */
const frozenAnswerBytes = new WeakMap<object, Buffer>();

/** The UTF-8 bytes of a decision's JSON: kept for a frozen one, written afresh for any other. */
function answerBytes(value: unknown): Buffer | string {
  if (value === null || typeof value !== 'object' || !Object.isFrozen(value)) return JSON.stringify(value);
  let bytes = frozenAnswerBytes.get(value);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(value), 'utf8');
    frozenAnswerBytes.set(value, bytes);
  }
  return bytes;
}

/**
 * The answer as JSON, never stored. Written directly rather than through res.json, which also
 * hashes every body for an ETag: an answer marked no-store is never revalidated, so that hash
 * is wasted on each call of the agents' hot path.
 */
function render<T>(res: Response, result: ServiceResult<T>, frozenDecision = false): void {
  const body = result.ok ? (frozenDecision ? answerBytes(result.value) : JSON.stringify(result.value)) : JSON.stringify({ error: result.error });
  res.statusCode = result.status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  if (!result.ok && result.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(result.retryAfterSeconds));
  res.end(body);
}

const agentOf = (res: Response) => res.locals.agent as Agent;

function requireJson(service: OperationsService): RequestHandler {
  // synchronous when the body is JSON: no promise per call on the hot path. Kept bytes mean the
  // JSON parser read the body, which it does only for a JSON content type (raw-body.ts): no need
  // to match the type a second time.
  return (req, res, next) => {
    if (rawBodyOf(req) !== undefined || req.is('application/json')) return next();
    service.refuse(agentOf(res), 415, 'unsupported_media_type', 'request body must be JSON (Content-Type: application/json)').then((result) => render(res, result), next);
  };
}

/**
 * The app parses JSON before routing, so its failures reach the mount point as errors, which a
 * Router (a three-argument handler) never sees. This error handler goes in front of the router
 * at the same mount path. Refusals of bad input are audited like any other, so it identifies the
 * caller first.
 */
export function bodyErrorHandler(deps: Pick<OperationsRoutesDeps, 'service' | 'authenticate' | 'rateLimit'>): ErrorRequestHandler {
  return (err, req, res, next) => {
    const type = (err as { type?: unknown })?.type;
    const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
    if (!known) return next(err);
    void (async () => {
      const auth = await deps.authenticate(req);
      if (!auth.ok) return sendAuthRefusal(res, auth);
      res.locals.agent = auth.agent;
      // A flood of malformed bodies counts against the agent's limit like any other call.
      deps.rateLimit(req, res, (limitErr?: unknown) => {
        if (limitErr) return next(limitErr);
        const [status, code, message] = known;
        deps.service.refuse(auth.agent, status, code, message).then((result) => render(res, result), next);
      });
    })().catch(next);
  };
}

const wrap = (fn: (req: Request, res: Response) => Promise<void>): RequestHandler => (req, res, next) => void fn(req, res).catch(next);

/**
 * POST /decisions once the agent is known and allowed: the JSON check, then the decision, with
 * the body's exact bytes when the parser kept them (the direct route), so a body already
 * validated for this agent is not validated again.
 */
function decisionHandlers(deps: OperationsRoutesDeps): RequestHandler[] {
  return [requireJson(deps.service), wrap(async (req, res) => render(res, await deps.service.decide(agentOf(res), req.body, rawBodyOf(req)), true))];
}

/**
 * POST /decisions as a direct route (direct-route.ts): the same handlers the router runs for it,
 * in the same order (authentication, the rate limit, the JSON check, the decision), and the same
 * body-error handling, without matching the router's other layers on every call.
 */
export function decisionsDirectRoute(deps: OperationsRoutesDeps): DirectRoute {
  const base = deps.basePath ?? '/api/v1';
  return {
    method: 'POST',
    path: `${base}/decisions`,
    label: `${base}/decisions`,
    handlers: [agentAuthentication(deps.authenticate), deps.rateLimit, ...decisionHandlers(deps)],
    errorHandlers: [bodyErrorHandler(deps)],
    keepRawBody: true,
  };
}

export function operationsApiRouter(deps: OperationsRoutesDeps): Router {
  const base = deps.basePath ?? '/api/v1';
  const router = Router();
  const openapi = JSON.stringify(buildOpenApiDocument(base));

  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').set('Cache-Control', 'public, max-age=300').send(openapi);
  });
  router.use(agentAuthentication(deps.authenticate));
  router.use(deps.rateLimit);

  const json = requireJson(deps.service);

  router.post(
    '/operations',
    json,
    wrap(async (req, res) => {
      const result = await deps.service.submit(agentOf(res), req.body);
      if (result.ok && result.status === 201) res.set('Location', `${base}/operations/${encodeURIComponent(result.value.id)}`);
      render(res, result);
    }),
  );
  router.post('/decisions', ...decisionHandlers(deps));
  router.get(
    '/operations',
    wrap(async (req, res) => render(res, await deps.service.list(agentOf(res), { limit: req.query.limit, cursor: req.query.cursor, state: req.query.state }))),
  );
  router.get(
    '/operations/:id',
    wrap(async (req, res) => {
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      render(res, await deps.service.get(agentOf(res), String(req.params.id), req.query.wait, gone.signal));
    }),
  );
  router.post(
    '/operations/:id/cancel',
    wrap(async (req, res) => render(res, await deps.service.cancel(agentOf(res), String(req.params.id)))),
  );
  return router;
}
