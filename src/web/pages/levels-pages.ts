/**
 * Level enforcement pages under /agents/:agent: the plan (what the level needs in Azure, drift),
 * apply (Administrator, CSRF, bound to the plan shown by its digest, audited per assignment) and
 * Test connection (doctor). All of them talk to ARM with Elevate's governance credential, so all
 * need Agent:manage.
 */
import { Router, type RequestHandler } from 'express';
import type { AppAction, AppSubject } from '../../access/app-permissions.ts';
import { DesiredRoleError } from '../../levels/desired-assignments.ts';
import type { LevelsRuntime } from '../../levels/levels-runtime.ts';
import type { AgentPlan } from '../../levels/level-enforcer.ts';
import { isPlanDigest, planDigest } from '../../levels/plan-digest.ts';
import { HttpError } from '../http-error.ts';
import { actorOf, asyncPage, formField, registryHttpError } from './agents-pages.ts';

export interface LevelPagesDeps {
  runtime: Pick<LevelsRuntime, 'enforcer' | 'doctor' | 'registry'>;
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
  csrfProtection: RequestHandler;
}

const SAMPLE = 12;

const PLAN_CHANGED_NOTICE = 'The plan changed since you opened it; nothing was applied. Review it again.';

/** The plan page's model; `planDigest` goes into the apply form so the apply is bound to this plan. */
const planView = (planned: AgentPlan, notice?: string) => ({ planned, plan: planned.plan, planDigest: planDigest(planned.plan), sample: SAMPLE, ...(notice ? { notice } : {}) });

/** Failures Elevate could not avoid (policy or ARM): shown with their own one-line message. */
function levelError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const known = registryHttpError(err);
  if (known) return known;
  if (err instanceof DesiredRoleError) return new HttpError(409, 'policy_role_unknown', err.message);
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : 'azure_error';
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]!.slice(0, 300) : 'Azure did not answer';
  return new HttpError(502, 'azure_unavailable', `Azure Resource Manager refused or did not answer (${code}): ${message}`);
}

export function levelPages(deps: LevelPagesDeps): Router {
  const router = Router();
  const manage = deps.requireAbility('manage', 'Agent');
  const { enforcer } = deps.runtime;
  const guard = (fn: Parameters<typeof asyncPage>[0]) => asyncPage(async (req, res) => fn(req, res).catch((err: unknown) => Promise.reject(levelError(err))));

  router.get(
    '/:agent/plan',
    manage,
    guard(async (req, res) => {
      const planned = await enforcer.plan(String(req.params.agent), { refreshInventory: true });
      res.set('Cache-Control', 'no-store').render('levels/plan.njk', planView(planned));
    }),
  );

  router.post(
    '/:agent/apply',
    deps.csrfProtection,
    manage,
    guard(async (req, res) => {
      const removeDrift = formField(req, 'removeDrift') === 'on';
      // Validated before anything is read or written: an apply is only ever of a plan that was shown.
      const expectedDigest = formField(req, 'planDigest');
      if (expectedDigest === undefined || !isPlanDigest(expectedDigest)) {
        throw new HttpError(400, 'invalid_plan_digest', 'planDigest: expected the plan digest from the plan page (64 lower-case hex characters); open the plan and apply from there');
      }
      const run = await enforcer.apply(String(req.params.agent), { actor: actorOf(req), refreshInventory: true, expectedDigest, ...(removeDrift ? { removeDrift: true } : {}) });
      if (run.planChanged) {
        res.status(409).set('Cache-Control', 'no-store').render('levels/plan.njk', planView(run.planned, PLAN_CHANGED_NOTICE));
        return;
      }
      res
        .status(run.report && !run.report.ok ? 502 : 200)
        .set('Cache-Control', 'no-store')
        .render('levels/apply-result.njk', { planned: run.planned, plan: run.planned.plan, report: run.report, removeDrift });
    }),
  );

  router.get(
    '/:agent/test-connection',
    manage,
    guard(async (req, res) => {
      const report = await deps.runtime.doctor(String(req.params.agent));
      res.set('Cache-Control', 'no-store').render('levels/test-connection.njk', { report, facts: report.facts });
    }),
  );

  return router;
}
