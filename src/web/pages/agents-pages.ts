/**
 * The agent registry pages under /agents: list, register, and per agent its level, run-mode
 * ceiling and managed resource groups. Reading needs Agent:read; every change needs Agent:manage
 * (the Administrator) and a CSRF token, and is audited by the registry with before and after.
 * Changing the registry does not touch Azure; the plan page shows what apply would do.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppAction, AppSubject } from '../../access/app-permissions.ts';
import type { AgentRegistry } from '../../agents/agent-registry.ts';
import { AgentConflictError, AgentInputError, AgentNotFoundError, type RegistryActor } from '../../agents/agent-types.ts';
import { PERMISSION_LEVELS, RUN_MODES } from '../../policies/policy-types.ts';
import { currentUser } from '../../signin/access-control.ts';
import { HttpError } from '../http-error.ts';
import type { RaiseService } from '../../raises/raise-service.ts';
import { raiseView } from '../../raises/raise-view.ts';
import { mountRaiseForms } from './raise-pages.ts';

export interface AgentPagesDeps {
  registry: AgentRegistry;
  /** Time-bound level raises: shown on the agent page, with their forms. */
  raises?: RaiseService;
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
  csrfProtection: RequestHandler;
}

const MAX_FIELD = 2048;

/** A form field: one string, bounded; anything else (arrays, objects, huge values) is refused. */
export function formField(req: Request, name: string): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body && Object.prototype.hasOwnProperty.call(body, name) ? body[name] : undefined;
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > MAX_FIELD) throw new AgentInputError(`${name}: expected one value of at most ${MAX_FIELD} characters`);
  return v.trim();
}

/** The signed-in administrator as the registry's audit entries name them. */
export function actorOf(req: Request): RegistryActor {
  const user = currentUser(req);
  if (!user) throw new HttpError(401, 'unauthenticated', 'Sign in to Elevate first.');
  return { kind: 'user', id: user.oid, name: user.upn };
}

/** Registry errors as HTTP answers; unknown ones stay 500s. */
export function registryHttpError(err: unknown): HttpError | undefined {
  if (err instanceof AgentNotFoundError) return new HttpError(404, 'agent_not_found', err.message);
  if (err instanceof AgentInputError) return new HttpError(400, 'invalid_agent_input', err.message);
  if (err instanceof AgentConflictError) return new HttpError(409, 'agent_conflict', err.message);
  return undefined;
}

export const asyncPage =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch((err: unknown) => next(registryHttpError(err) ?? err));
  };

const agentHref = (name: string) => `/agents/${encodeURIComponent(name)}`;

export function agentPages(deps: AgentPagesDeps): Router {
  const router = Router();
  const read = deps.requireAbility('read', 'Agent');
  const manage = deps.requireAbility('manage', 'Agent');
  const { registry } = deps;
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  const renderList = async (res: Response, status = 200, error?: string, values: Record<string, string> = {}) => {
    res.status(status).render('agents/list.njk', { agents: await registry.list(), levels: PERMISSION_LEVELS, runModes: RUN_MODES, error, values, agentHref });
  };

  /** A refused change re-renders the page it came from, with the reason and the values typed. */
  const renderDetail = async (res: Response, ref: string, status = 200, error?: string) => {
    const agent = await registry.get(ref);
    const raises = deps.raises ? (await deps.raises.listByAgent(agent.id)).map((r) => raiseView(r, { azureIds: true })) : undefined;
    const raiseRule = deps.raises?.rule();
    res.status(status).render('agents/detail.njk', { agent, levels: PERMISSION_LEVELS, runModes: RUN_MODES, error, agentHref, raises, raiseRule });
  };

  router.get('/', read, asyncPage(async (_req, res) => renderList(res)));

  router.post(
    '/',
    deps.csrfProtection,
    manage,
    asyncPage(async (req, res) => {
      const values: Record<string, string> = {};
      try {
        for (const f of ['name', 'uamiClientId', 'uamiPrincipalId', 'level', 'runModeCeiling', 'resourceGroupIds']) {
          const v = formField(req, f);
          if (v !== undefined) values[f] = v;
        }
        const agent = await registry.create(
          {
            name: values.name,
            uamiClientId: values.uamiClientId,
            uamiPrincipalId: values.uamiPrincipalId,
            level: values.level,
            runModeCeiling: values.runModeCeiling,
            resourceGroupIds: (values.resourceGroupIds ?? '').split(/\s+/).filter((s) => s !== ''),
          },
          actorOf(req),
        );
        res.redirect(303, agentHref(agent.name));
      } catch (err) {
        const http = registryHttpError(err);
        if (!http || http.status === 404) throw err;
        await renderList(res, http.status, http.message, values);
      }
    }),
  );

  router.get('/:agent', read, asyncPage(async (req, res) => renderDetail(res, String(req.params.agent))));

  /** A change form: apply it, then back to the agent (303), or the same page with the reason. */
  const change = (apply: (req: Request, ref: string, actor: RegistryActor) => Promise<unknown>) =>
    asyncPage(async (req, res) => {
      const ref = String(req.params.agent);
      try {
        await apply(req, ref, actorOf(req));
        res.redirect(303, agentHref((await registry.get(ref)).name));
      } catch (err) {
        const http = registryHttpError(err);
        if (!http || http.status === 404) throw err;
        await renderDetail(res, ref, http.status, http.message);
      }
    });

  router.post('/:agent/level', deps.csrfProtection, manage, change((req, ref, actor) => registry.setLevel(ref, formField(req, 'level'), actor)));
  router.post('/:agent/run-mode', deps.csrfProtection, manage, change((req, ref, actor) => registry.setRunModeCeiling(ref, formField(req, 'runModeCeiling'), actor)));
  router.post('/:agent/resource-groups', deps.csrfProtection, manage, change((req, ref, actor) => registry.addResourceGroup(ref, formField(req, 'resourceGroupId'), actor)));
  router.post(
    '/:agent/resource-groups/remove',
    deps.csrfProtection,
    manage,
    change((req, ref, actor) => registry.removeResourceGroup(ref, formField(req, 'resourceGroupId'), actor)),
  );

  if (deps.raises) {
    mountRaiseForms(router, {
      raises: deps.raises,
      requireAbility: deps.requireAbility,
      csrfProtection: deps.csrfProtection,
      renderDetail: (res, ref, status, error) => renderDetail(res, ref, status, error),
      agentHref,
      resolveAgent: (ref) => registry.get(ref),
      formField,
      asyncPage,
    });
  }

  return router;
}
