/**
 * The administrator API under /api/v1/requests (what `elevate requests` calls):
 *   GET  /requests                          pending requests
 *   GET  /requests/{id}                     one request, its approvals and history
 *   POST /requests/{id}/approve             { reason }: a consent runs now; an elevation answers
 *                                           202 fresh_sign_in_required with the attempt it opened
 *   POST /requests/{id}/approve/elevation   { operationHash }, bearer = the FRESH token: completes it;
 *                                           401 insufficient_claims relays Entra's claims challenge
 *   POST /requests/{id}/deny                { reason }
 * Each handler reads its input, calls one use case of the approvals module, renders the result.
 */
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { ApprovalsModule } from '../../approvals/approvals-module.ts';
import { rateLimit } from 'express-rate-limit';
import { DelegatedApiToken } from '../../signin/delegated-api-token.ts';
import { DECISION_RATE_LIMIT, type RateLimitSettings, type RateLimitStoreFactory } from '../../signin/rate-limits.ts';
import type { AdminAuthenticator } from './admin-authentication.ts';
import { claimsChallengeBody, decisionResponse, requestDetail, requestSummary } from './admin-request-view.ts';
import { claimsChallengeHeader } from './claims-challenge-header.ts';
import type { SessionUser } from '../../sessions/session-data.ts';
import type { ApiTokenClaims } from '../../azure/api-token-validator.ts';

export interface AdminRequestsDeps {
  approvals: Pick<ApprovalsModule, 'listPending' | 'overview' | 'approve' | 'deny' | 'completeElevationFromApi' | 'openAttempt'>;
  authenticate: AdminAuthenticator;
  /** Decisions (approve, complete, deny) per administrator; default the browser's 30 a minute. */
  decisionLimit?: RateLimitSettings;
  /** Shared counters when several instances share one database (absent: in this process). */
  rateLimitStore?: RateLimitStoreFactory | undefined;
  /** Where a relayed claims challenge sends the client: the tenant (realm) and its authorize endpoint. */
  claimsChallenge: { realm: string; authorizationUri: string };
}

interface Caller {
  user: SessionUser;
  claims: ApiTokenClaims;
}

function send(res: Response, status: number, body: unknown): void {
  res.status(status).set('Cache-Control', 'no-store').json(body);
}

const bodyField = (req: Request, name: string): unknown => {
  const body = req.body as Record<string, unknown> | undefined;
  return body && typeof body === 'object' && !Array.isArray(body) ? body[name] : undefined;
};

export function adminRequestsRouter(deps: AdminRequestsDeps): Router {
  const router = Router();
  const tokens = new WeakMap<Response, string>();

  router.use((req, res, next) => {
    void deps
      .authenticate(req)
      .then((auth) => {
        if (!auth.ok) {
          if (auth.status === 401) res.set('WWW-Authenticate', auth.code === 'unauthorized' ? 'Bearer realm="elevate"' : 'Bearer realm="elevate", error="invalid_token"');
          return send(res, auth.status, { error: { code: auth.code, message: auth.message } });
        }
        res.locals.adminCaller = { user: auth.user, claims: auth.claims } satisfies Caller;
        // kept off res.locals (templates, loggers): only the elevation route reads it, once
        tokens.set(res, auth.token);
        next();
      })
      .catch(next);
  });

  const caller = (res: Response) => res.locals.adminCaller as Caller;
  const route =
    (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
    (req, res, next) =>
      void fn(req, res).catch(next);
  // as on the approval pages: one account cannot hammer decisions (keyed by the token's oid)
  const limit = deps.decisionLimit ?? DECISION_RATE_LIMIT;
  const decisions = rateLimit({
    ...(deps.rateLimitStore ? { store: deps.rateLimitStore('api-decisions') } : {}),
    windowMs: limit.windowMs,
    limit: limit.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => `user:${caller(res).user.oid}`,
    handler: (_req, res) => send(res, 429, { error: { code: 'rate_limited', message: 'Too many decisions. Wait a minute and try again.' } }),
  });
  const json: RequestHandler = (req, res, next) =>
    req.is('application/json') ? next() : send(res, 415, { error: { code: 'unsupported_media_type', message: 'request body must be JSON (Content-Type: application/json)' } });

  router.get(
    '/',
    route(async (_req, res) => {
      const items = await deps.approvals.listPending();
      send(res, 200, { items: items.map((i) => requestSummary(i.request, i.agent)) });
    }),
  );

  router.get(
    '/:id',
    route(async (req, res) => {
      const overview = await deps.approvals.overview(String(req.params.id));
      if (!overview) return send(res, 404, { error: { code: 'not_found', message: 'no such request' } });
      send(res, 200, requestDetail(overview));
    }),
  );

  router.post(
    '/:id/approve',
    decisions,
    json,
    route(async (req, res) => {
      const { user } = caller(res);
      const id = String(req.params.id);
      const result = await deps.approvals.approve(id, user, bodyField(req, 'reason'));
      const attempt = result.kind === 'sign_in' ? await deps.approvals.openAttempt(id, user.oid) : undefined;
      const out = decisionResponse(result, attempt);
      send(res, out.status, out.body);
    }),
  );

  router.post(
    '/:id/approve/elevation',
    decisions,
    json,
    route(async (req, res) => {
      const { user, claims } = caller(res);
      const raw = tokens.get(res)!;
      tokens.delete(res);
      const token = new DelegatedApiToken(raw, { oid: claims.oid, tid: claims.tid, scopes: claims.scopes, expiresAt: Math.floor(claims.expiresAt.getTime() / 1000) });
      const result = await deps.approvals.completeElevationFromApi({
        requestId: String(req.params.id),
        user,
        token,
        issuedAt: claims.issuedAt,
        authTime: claims.authTime,
        operationHash: bodyField(req, 'operationHash'),
      });
      const attempt = result.kind === 'sign_in' ? await deps.approvals.openAttempt(String(req.params.id), user.oid) : undefined;
      // Entra refused the exchange with a claims challenge (Conditional Access: MFA, say), and
      // Elevate opened the attempt for the sign-in that answers it: relay the challenge as the
      // claims-challenge protocol has an API do, so the client signs in again with those claims.
      // Anything else that asks for a sign-in (an expired token) stays the 202 below.
      const challenge = result.kind === 'sign_in' ? claimsChallengeHeader({ ...deps.claimsChallenge, claims: result.options.claims }) : undefined;
      if (result.kind === 'sign_in' && challenge) {
        res.set('WWW-Authenticate', challenge);
        return send(res, 401, claimsChallengeBody(result, attempt));
      }
      const out = decisionResponse(result, attempt);
      send(res, out.status, out.body);
    }),
  );

  router.post(
    '/:id/deny',
    decisions,
    json,
    route(async (req, res) => {
      const out = decisionResponse(await deps.approvals.deny(String(req.params.id), caller(res).user, bodyField(req, 'reason')), undefined);
      send(res, out.status, out.body);
    }),
  );

  router.use((_req, res) => send(res, 404, { error: { code: 'not_found', message: 'no such administrator API route' } }));
  return router;
}

/**
 * The app parses JSON before routing; a malformed body reaches this mount point as an error (put
 * this in front of the router). Nothing is decided on it: 400, and the caller's token is not read.
 */
export const adminBodyErrorHandler: ErrorRequestHandler = (err, _req, res, next) => {
  const type = (err as { type?: unknown })?.type;
  if (type === 'entity.too.large') return send(res, 413, { error: { code: 'payload_too_large', message: 'request body is too large' } });
  if (typeof type === 'string' && /^(entity\.parse\.failed|encoding\.unsupported|charset\.unsupported|request\.aborted)$/.test(type)) {
    return send(res, 400, { error: { code: 'invalid_json', message: 'request body is not valid JSON' } });
  }
  next(err);
};
