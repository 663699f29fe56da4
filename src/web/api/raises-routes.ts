/**
 * The agent's level raises under /api/v1/level-raises: ask for a time-bound raise (tied to an
 * incident or trigger when given), read its own raises, and hand one back when done. Each handler
 * reads its input, calls one use case of the raise service, and renders the result. Every body
 * field is hostile: the service checks it against the agent's registration and the policy.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AuditAppender } from '../../agents/agent-registry.ts';
import type { Agent } from '../../operations/operation-types.ts';
import type { RaiseService } from '../../raises/raise-service.ts';
import { checkOnBehalfOf } from '../../raises/raise-request-check.ts';
import { RaiseConflictError, RaiseInputError, RaiseNotFoundError } from '../../raises/raise-types.ts';
import { raiseView } from '../../raises/raise-view.ts';
import { agentAuthentication, type createAgentAuthenticator } from './agent-authentication.ts';

export interface RaisesRoutesDeps {
  raises: RaiseService;
  authenticate: ReturnType<typeof createAgentAuthenticator>;
  rateLimit: RequestHandler;
  audit: AuditAppender;
  basePath: string;
}

const agentOf = (res: Response) => res.locals.agent as Agent;

function send(res: Response, status: number, body: unknown): void {
  res.status(status).set('Cache-Control', 'no-store').json(body);
}

export function raisesApiRouter(deps: RaisesRoutesDeps): Router {
  const outer = Router();
  const router = Router();
  outer.use('/level-raises', agentAuthentication(deps.authenticate), deps.rateLimit, router);

  /** Refusals answer with a code and one line, and are on record. */
  const fail = async (res: Response, err: unknown) => {
    const agent = agentOf(res);
    let status: number;
    let code: string;
    if (err instanceof RaiseInputError) [status, code] = [400, err.code];
    else if (err instanceof RaiseConflictError) [status, code] = [409, err.code];
    else if (err instanceof RaiseNotFoundError) [status, code] = [404, 'not_found'];
    else throw err;
    const message = (err as Error).message;
    await deps.audit.append({ actor: { kind: 'agent', id: agent.id, name: agent.name }, eventType: 'level-raise.refused', agentId: agent.id, outcome: 'refused', details: { code, message } });
    send(res, status, { error: { code, message } });
  };
  const wrap = (fn: (req: Request, res: Response) => Promise<void>): RequestHandler => (req, res, next) =>
    void fn(req, res).catch((err: unknown) => fail(res, err).catch(next));

  router.post(
    '/',
    wrap(async (req, res) => {
      if (!req.is('application/json')) {
        send(res, 415, { error: { code: 'unsupported_media_type', message: 'request body must be JSON (Content-Type: application/json)' } });
        return;
      }
      const body = (req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
      const trigger = body.trigger && typeof body.trigger === 'object' ? (body.trigger as Record<string, unknown>) : {};
      // Refused, never dropped: a name too long or unclean must not silently turn into "nobody named".
      const requestedBy = checkOnBehalfOf(trigger.requestedBy);
      const agent = agentOf(res);
      const raise = await deps.raises.request(
        agent.id,
        { resourceGroupIds: body.resourceGroupIds, targetLevel: body.targetLevel, durationMinutes: body.durationMinutes, justification: body.justification, triggerRef: trigger.ref },
        { kind: 'agent', id: agent.id, name: agent.name, ...(requestedBy !== undefined ? { onBehalfOf: requestedBy } : {}) },
      );
      res.set('Location', `${deps.basePath}/level-raises/${encodeURIComponent(raise.id)}`);
      send(res, 201, raiseView(raise));
    }),
  );
  router.get(
    '/',
    wrap(async (_req, res) => send(res, 200, { value: (await deps.raises.listByAgent(agentOf(res).id)).map((r) => raiseView(r)) })),
  );
  router.get(
    '/:id',
    wrap(async (req, res) => send(res, 200, raiseView(await deps.raises.getForAgent(agentOf(res).id, String(req.params.id))))),
  );
  router.post(
    '/:id/hand-back',
    wrap(async (req, res) => send(res, 200, raiseView(await deps.raises.handBack(agentOf(res).id, String(req.params.id))))),
  );
  return outer;
}
