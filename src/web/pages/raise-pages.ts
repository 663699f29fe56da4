/**
 * Time-bound level raises on the agent page: an administrator asks for one (Agent:manage), an
 * administrator other than the requester approves or denies it (Approval:approve/deny), and an
 * administrator ends it early (Agent:manage). Each form posts with a CSRF token, calls one use case
 * of the raise service, and comes back to the agent page (303) or re-renders it with the reason.
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import type { AppAction, AppSubject } from '../../access/app-permissions.ts';
import type { RaiseService } from '../../raises/raise-service.ts';
import { RaiseConflictError, RaiseInputError, RaiseNotFoundError } from '../../raises/raise-types.ts';
import { currentUser } from '../../signin/access-control.ts';
import { HttpError } from '../http-error.ts';

export interface RaiseFormsDeps {
  raises: RaiseService;
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
  csrfProtection: RequestHandler;
  /** Re-renders the agent page with a refusal. */
  renderDetail: (res: Response, ref: string, status: number, error: string) => Promise<void>;
  agentHref: (ref: string) => string;
  resolveAgent: (ref: string) => Promise<{ id: string; name: string }>;
  formField: (req: Request, name: string) => string | undefined;
  asyncPage: (fn: (req: Request, res: Response) => Promise<void>) => RequestHandler;
}

function personOf(req: Request): { id: string; name: string } {
  const user = currentUser(req);
  if (!user) throw new HttpError(401, 'unauthenticated', 'Sign in to Elevate first.');
  return { id: user.oid, name: user.upn };
}

function refusal(err: unknown): { status: number; message: string } | undefined {
  if (err instanceof RaiseInputError) return { status: err.code === 'requester_may_not_approve' ? 403 : 400, message: err.message };
  if (err instanceof RaiseConflictError) return { status: 409, message: err.message };
  if (err instanceof RaiseNotFoundError) return { status: 404, message: err.message };
  return undefined;
}

export function mountRaiseForms(router: Router, deps: RaiseFormsDeps): void {
  const manage = deps.requireAbility('manage', 'Agent');
  const approve = deps.requireAbility('approve', 'Approval');
  const deny = deps.requireAbility('deny', 'Approval');

  const act = (fn: (req: Request, agent: { id: string; name: string }) => Promise<unknown>) =>
    deps.asyncPage(async (req, res) => {
      const ref = String(req.params.agent);
      const agent = await deps.resolveAgent(ref);
      try {
        await fn(req, agent);
        res.redirect(303, `${deps.agentHref(agent.name)}#raises`);
      } catch (err) {
        const r = refusal(err);
        if (!r) throw err;
        await deps.renderDetail(res, ref, r.status, r.message);
      }
    });
  const raiseOf = async (req: Request, agent: { id: string }) => {
    const raise = await deps.raises.get(String(req.params.raise));
    if (raise.agentId !== agent.id) throw new RaiseNotFoundError('no such raise for this agent');
    return raise;
  };

  router.post(
    '/:agent/raises',
    deps.csrfProtection,
    manage,
    act(async (req, agent) => {
      const minutes = deps.formField(req, 'durationMinutes');
      const groups = (deps.formField(req, 'resourceGroupIds') ?? '').split(/\s+/).filter((s) => s !== '');
      const person = personOf(req);
      await deps.raises.request(
        agent.id,
        {
          resourceGroupIds: groups,
          targetLevel: deps.formField(req, 'targetLevel') ?? 'Privileged',
          durationMinutes: minutes !== undefined && /^\d{1,6}$/.test(minutes) ? Number(minutes) : minutes,
          justification: deps.formField(req, 'justification'),
          triggerRef: deps.formField(req, 'triggerRef'),
        },
        { kind: 'user', id: person.id, name: person.name },
      );
    }),
  );
  router.post(
    '/:agent/raises/:raise/approve',
    deps.csrfProtection,
    approve,
    act(async (req, agent) => deps.raises.approve((await raiseOf(req, agent)).id, personOf(req), deps.formField(req, 'reason') ?? null)),
  );
  router.post(
    '/:agent/raises/:raise/deny',
    deps.csrfProtection,
    deny,
    act(async (req, agent) => deps.raises.deny((await raiseOf(req, agent)).id, personOf(req), deps.formField(req, 'reason') ?? null)),
  );
  router.post(
    '/:agent/raises/:raise/end',
    deps.csrfProtection,
    manage,
    act(async (req, agent) => deps.raises.end((await raiseOf(req, agent)).id, personOf(req))),
  );
}
