/**
 * The approval pages under /approvals:
 *   GET  /              pending requests, newest first, with a live count
 *   GET  /?view=all     every request; ?view=mine: the ones I approved or denied; both filtered
 *                       by state, agent and kind, keyset paged (?cursor=)
 *   GET  /count         the count as JSON (polled by /static/js/approvals-live-count.js)
 *   GET  /:id           what exactly will run, why, who asked, time left, history; Approve / Deny
 *   POST /:id/approve   reason required; consent runs now, elevation starts a fresh sign-in
 *   POST /:id/deny      reason required; ends the request
 * Reading needs Approval:read; deciding needs Approval:approve / Approval:deny, checked on the
 * server for every route (hidden buttons are only cosmetic), a CSRF token, and the decision
 * rate limit. The use cases check the role again, against the current policy.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppAction, AppSubject } from '../../access/app-permissions.ts';
import type { ApprovalsModule } from '../../approvals/approvals-module.ts';
import { currentUser } from '../../signin/access-control.ts';
import type { BeginSignInOptions } from '../../signin/begin-sign-in.ts';
import { HttpError } from '../http-error.ts';
import { renderRequestPage, respondToDecision, storedOutcome, type ResponderDeps } from './approval-responses.ts';
import { HistoryQueryError, historyParams, parseHistoryQuery, HISTORY_KINDS } from '../../approvals/request-history.ts';
import { REQUEST_STATES } from '../../operations/operation-types.ts';
import { historyListRow, isDoneKind, pendingRow, STATE_LABELS } from './approval-view-models.ts';

export interface ApprovalPagesDeps {
  approvals: ApprovalsModule;
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
  csrfProtection: RequestHandler;
  decisionLimiter: RequestHandler;
  beginSignIn(req: Request, res: Response, options?: BeginSignInOptions): Promise<void>;
  clock?: () => Date;
}

const page =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

/** One form field as one bounded string; arrays, objects and absent fields are undefined. */
function field(req: Request, name: string): string | undefined {
  const body = req.body as Record<string, unknown> | undefined;
  const v = body && Object.prototype.hasOwnProperty.call(body, name) ? body[name] : undefined;
  return typeof v === 'string' && v.length <= 4096 ? v : undefined;
}

export function approvalPages(deps: ApprovalPagesDeps): Router {
  const router = Router();
  const clock = deps.clock ?? (() => new Date());
  const responder: ResponderDeps = { approvals: deps.approvals, beginSignIn: deps.beginSignIn, clock };
  const read = deps.requireAbility('read', 'Approval');
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get(
    '/',
    read,
    page(async (req, res) => {
      const now = clock();
      const view = req.query.view;
      if (view !== undefined && view !== 'pending') return renderHistory(req, res);
      const items = await deps.approvals.listPending();
      res.render('approvals/list.njk', { rows: items.map((i) => pendingRow(i.request, i.agent, now)), count: await deps.approvals.countPending() });
    }),
  );

  async function renderHistory(req: Request, res: Response): Promise<void> {
    const user = currentUser(req);
    if (!user) throw new HttpError(401, 'unauthenticated', 'Sign in to Elevate first.');
    const filterOptions = { states: REQUEST_STATES.map((s) => ({ value: s, label: STATE_LABELS[s] ?? s })), kinds: Object.keys(HISTORY_KINDS) };
    let query;
    try {
      query = parseHistoryQuery(req.query as Record<string, unknown>);
    } catch (err) {
      if (!(err instanceof HistoryQueryError)) throw err;
      res.status(400).render('approvals/history.njk', { view: 'all', filters: {}, rows: [], error: err.message, ...filterOptions });
      return;
    }
    const result = await deps.approvals.history(query, user);
    const params = historyParams(query);
    const next = result.nextCursor ? `/approvals?${params.toString()}&cursor=${encodeURIComponent(result.nextCursor)}` : undefined;
    res.render('approvals/history.njk', {
      view: query.view,
      filters: { state: query.state ?? '', agent: query.agentId ?? '', kind: query.kind ?? '' },
      rows: result.items.map((i) => historyListRow(i.request, i.agent)),
      nextHref: next,
      firstHref: query.after ? `/approvals?${params.toString()}` : undefined,
      ...filterOptions,
    });
  }

  router.get(
    '/count',
    read,
    page(async (_req, res) => {
      res.json({ pending: await deps.approvals.countPending() });
    }),
  );

  router.get(
    '/:id',
    read,
    page(async (req, res) => {
      const id = String(req.params.id);
      // After a fresh sign-in's callback: its answer, as it was given (status included).
      const stored = storedOutcome(req, id, req.query.outcome);
      if (stored) return renderRequestPage(responder, req, res, id, stored.status, stored.extras);
      const done = isDoneKind(req.query.done) ? req.query.done : undefined;
      await renderRequestPage(responder, req, res, id, 200, done ? { done } : {});
    }),
  );

  const decision = (action: 'approve' | 'deny') => [
    deps.decisionLimiter,
    deps.requireAbility(action, 'Approval'),
    deps.csrfProtection,
    page(async (req, res) => {
      const user = currentUser(req);
      if (!user) throw new HttpError(401, 'unauthenticated', 'Sign in to Elevate first.');
      const id = String(req.params.id);
      const reason = field(req, 'reason');
      const result = action === 'approve' ? await deps.approvals.approve(id, user, reason) : await deps.approvals.deny(id, user, reason);
      await respondToDecision(responder, req, res, id, result);
    }),
  ];
  router.post('/:id/approve', ...decision('approve'));
  router.post('/:id/deny', ...decision('deny'));

  return router;
}
