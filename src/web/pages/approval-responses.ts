/**
 * Turns an approval use case's answer into an HTTP response: a redirect after a decision took
 * effect (post/redirect/get), the fresh sign-in an elevation needs, or the request page again
 * with the refusal or the Entra problem and what to do about it.
 */
import type { Request, Response } from 'express';
import type { ApprovalsModule } from '../../approvals/approvals-module.ts';
import type { DecisionResult } from '../../approvals/decision-results.ts';
import type { BeginSignInOptions } from '../../signin/begin-sign-in.ts';
import { accessOf } from '../../signin/access-control.ts';
import { HttpError } from '../http-error.ts';
import { approvalHref, doneNotice, isDoneKind, requestModel, type DoneKind } from './approval-view-models.ts';

export interface ResponderDeps {
  approvals: Pick<ApprovalsModule, 'overview'>;
  beginSignIn(req: Request, res: Response, options?: BeginSignInOptions): Promise<void>;
  clock: () => Date;
}

export interface PageExtras {
  error?: { code: string; message: string };
  problem?: { code: string; message: string; adminAction?: string | undefined };
  /** The decision that led here (the redirect's `?done=`): the banner is built from the request's state. */
  done?: DoneKind;
}

/** The request page, with whatever the last action left to say. */
export async function renderRequestPage(deps: ResponderDeps, req: Request, res: Response, requestId: string, status: number, extras: PageExtras = {}): Promise<void> {
  const overview = await deps.approvals.overview(requestId);
  if (!overview) throw new HttpError(404, 'not_found', 'no such request');
  const { ability } = accessOf(req);
  const model = requestModel(overview, deps.clock(), { canApprove: ability.can('approve', 'Approval'), canDeny: ability.can('deny', 'Approval') });
  const { done, ...rest } = extras;
  const notice = done ? doneNotice(done, overview.request) : undefined;
  res.status(status).set('Cache-Control', 'no-store').render('approvals/request.njk', { r: model, ...rest, ...(notice ? { notice } : {}) });
}

/** Entra problems the approver or the tenant must fix are 403; Entra being unreachable or failing is 502. */
const problemStatus = (code: string) => (['consent_required', 'blocked_by_policy', 'user_not_allowed', 'interaction_required', 'assertion_expired'].includes(code) ? 403 : 502);

export async function respondToDecision(deps: ResponderDeps, req: Request, res: Response, requestId: string, result: DecisionResult): Promise<void> {
  switch (result.kind) {
    case 'sign_in':
      return deps.beginSignIn(req, res, result.options);
    case 'recorded':
    case 'executed':
    case 'denied':
      if (!isDoneKind(result.kind)) throw new Error(`no notice for ${String(result.kind)}`);
      return res.redirect(303, `${approvalHref(result.request.id)}?done=${result.kind}`);
    case 'obo_problem':
      return renderRequestPage(deps, req, res, result.request.id, problemStatus(result.code), {
        problem: { code: result.code, message: result.message, adminAction: result.adminAction },
      });
    case 'refused':
      if (result.status === 404) throw new HttpError(404, 'not_found', result.message);
      if (result.request || (await deps.approvals.overview(requestId))) {
        return renderRequestPage(deps, req, res, result.request?.id ?? requestId, result.status, { error: { code: result.code, message: result.message } });
      }
      throw new HttpError(result.status, result.code, result.message);
  }
}
