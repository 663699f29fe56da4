/**
 * HTTP for the agent's incidents under /api/v1/incidents: the same bearer-token authentication
 * and rate limit as the operations API, one use case per route.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { IncidentApi, IncidentApiResult } from '../../incidents/incident-api.ts';
import type { Agent } from '../../operations/operation-types.ts';
import { agentAuthentication, type createAgentAuthenticator } from './agent-authentication.ts';

export interface IncidentsRoutesDeps {
  api: IncidentApi;
  authenticate: ReturnType<typeof createAgentAuthenticator>;
  rateLimit: RequestHandler;
}

function render<T>(res: Response, result: IncidentApiResult<T>): void {
  res.set('Cache-Control', 'no-store');
  if (result.ok) res.status(result.status).json(result.value);
  else res.status(result.status).json({ error: result.error });
}

export function incidentsApiRouter(deps: IncidentsRoutesDeps): Router {
  const router = Router();
  router.use(agentAuthentication(deps.authenticate));
  router.use(deps.rateLimit);
  const agentOf = (res: Response) => res.locals.agent as Agent;
  const wrap = (fn: (req: Request, res: Response) => Promise<void>): RequestHandler => (req, res, next) => void fn(req, res).catch(next);
  router.get(
    '/',
    wrap(async (req, res) => {
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      render(res, await deps.api.list(agentOf(res), { cursor: req.query.cursor, state: req.query.state, limit: req.query.limit, wait: req.query.wait }, gone.signal));
    }),
  );
  router.get(
    '/:id',
    wrap(async (req, res) => render(res, await deps.api.get(agentOf(res), String(req.params.id)))),
  );
  return router;
}
