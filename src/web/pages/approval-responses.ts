/**
 * Turns an approval use case's answer into an HTTP response: a redirect after a decision took
 * effect (post/redirect/get), the fresh sign-in an elevation needs, or the request page again
 * with the refusal or the Entra problem and what to do about it.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { ApprovalsModule } from '../../approvals/approvals-module.ts';
import type { DecisionResult } from '../../approvals/decision-results.ts';
import type { BeginSignInOptions } from '../../signin/begin-sign-in.ts';
import { accessOf } from '../../signin/access-control.ts';
import { HttpError } from '../http-error.ts';
import { approvalHref, doneBorneOut, doneNotice, isDoneKind, requestModel, type DoneKind } from './approval-view-models.ts';

export interface ResponderDeps {
  approvals: Pick<ApprovalsModule, 'overview' | 'previewApproval'>;
  beginSignIn(req: Request, res: Response, options?: BeginSignInOptions): Promise<void>;
  clock: () => Date;
}

/** After a sign-in that changed who this browser is signed in as: both accounts, for the page to say so. */
export interface AccountSwitch {
  from: string;
  to: string;
}

export interface PageExtras {
  error?: { code: string; message: string };
  problem?: { code: string; message: string; adminAction?: string | undefined };
  accountSwitch?: AccountSwitch;
  /** The decision that led here (the redirect's `?done=`): the banner is built from the request's state. */
  done?: DoneKind;
}

/** The request page, with whatever the last action left to say. */
export async function renderRequestPage(deps: ResponderDeps, req: Request, res: Response, requestId: string, status: number, extras: PageExtras = {}): Promise<void> {
  const overview = await deps.approvals.overview(requestId);
  if (!overview) throw new HttpError(404, 'not_found', 'no such request');
  const { ability, user } = accessOf(req);
  const model = requestModel(overview, deps.clock(), { canApprove: ability.can('approve', 'Approval'), canDeny: ability.can('deny', 'Approval') });
  // Offer the Approve form only to someone the decision would not refuse; tell anyone else why.
  const preview = model.canApprove && user ? deps.approvals.previewApproval(overview, user) : undefined;
  const approveBlocked = preview && !preview.ok ? { code: preview.code, message: preview.message } : undefined;
  const { done, ...rest } = extras;
  // `?done=` is only a link anyone who can read the request can send: its banner shows only when
  // the request as read here bears it out for the person looking.
  const notice = done && doneBorneOut(done, overview, user) ? doneNotice(done, overview.request) : undefined;
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .render('approvals/request.njk', { r: { ...model, canApprove: model.canApprove && !approveBlocked }, approveBlocked, ...rest, ...(notice ? { notice } : {}) });
}

/**
 * The answer to an approval's fresh sign-in, kept in the session for the request page it
 * redirects to: the callback URL (`/auth/callback?code=…`) is spent, and reloading it would only
 * say "unknown sign-in". A few are kept, keyed by a random id in the redirect.
 */
interface StoredOutcome extends PageExtras {
  requestId: string;
  status: number;
}

declare module 'express-session' {
  interface SessionData {
    approvalOutcomes?: Record<string, StoredOutcome>;
  }
}

const MAX_STORED_OUTCOMES = 10;
const OUTCOME_KEY = /^[A-Za-z0-9_-]{22}$/;

function storeOutcome(req: Request, outcome: StoredOutcome): string {
  const key = randomBytes(16).toString('base64url');
  const kept = Object.entries(req.session.approvalOutcomes ?? {}).slice(-(MAX_STORED_OUTCOMES - 1));
  req.session.approvalOutcomes = Object.fromEntries([...kept, [key, outcome]]);
  return key;
}

/** The stored answer for `?outcome=`, only on the request it was for. */
export function storedOutcome(req: Request, requestId: string, key: unknown): { status: number; extras: PageExtras } | undefined {
  if (typeof key !== 'string' || !OUTCOME_KEY.test(key)) return undefined;
  const all = req.session?.approvalOutcomes;
  const stored = all && Object.hasOwn(all, key) ? all[key] : undefined;
  if (!stored || stored.requestId !== requestId) return undefined;
  const { requestId: _id, status, ...extras } = stored;
  return { status, extras };
}

function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

/** Entra problems the approver or the tenant must fix are 403; Entra being unreachable or failing is 502. */
const problemStatus = (code: string) => (['consent_required', 'blocked_by_policy', 'user_not_allowed', 'interaction_required', 'assertion_expired'].includes(code) ? 403 : 502);

export interface DecisionContext {
  /** The decision arrived at a sign-in's callback: answer with a redirect to a stable page. */
  afterSignIn?: { accountSwitch?: AccountSwitch | undefined };
}

export async function respondToDecision(deps: ResponderDeps, req: Request, res: Response, requestId: string, result: DecisionResult, context: DecisionContext = {}): Promise<void> {
  const answer = async (id: string, status: number, extras: PageExtras): Promise<void> => {
    if (!context.afterSignIn) return renderRequestPage(deps, req, res, id, status, extras);
    const key = storeOutcome(req, { requestId: id, status, ...extras, ...(context.afterSignIn.accountSwitch ? { accountSwitch: context.afterSignIn.accountSwitch } : {}) });
    await saveSession(req);
    res.redirect(303, `${approvalHref(id)}?outcome=${key}`);
  };
  switch (result.kind) {
    case 'sign_in':
      // The refused-sign-in page links back here.
      return deps.beginSignIn(req, res, { ...result.options, returnTo: approvalHref(result.request.id) });
    case 'recorded':
    case 'executed':
    case 'denied':
      if (!isDoneKind(result.kind)) throw new Error(`no notice for ${String(result.kind)}`);
      return res.redirect(303, `${approvalHref(result.request.id)}?done=${result.kind}`);
    case 'obo_problem':
      return answer(result.request.id, problemStatus(result.code), {
        problem: { code: result.code, message: result.message, adminAction: result.adminAction },
      });
    case 'refused':
      if (result.status === 404) throw new HttpError(404, 'not_found', result.message);
      if (result.request || (await deps.approvals.overview(requestId))) {
        return answer(result.request?.id ?? requestId, result.status, { error: { code: result.code, message: result.message } });
      }
      throw new HttpError(result.status, result.code, result.message);
  }
}
