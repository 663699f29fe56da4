import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import '../sessions/session-data.ts';
import type { SessionUser } from '../sessions/session-data.ts';
import { sessionCookieClearOptions, type SessionCookieSettings } from '../sessions/session-cookie.ts';
import type { BeginSignInOptions } from './begin-sign-in.ts';
import type { SignInFailure, SignInOutcome } from './complete-sign-in.ts';
import type { OidcProvider } from './oidc-provider.ts';
import { CALLBACK_PATH } from './oidc-settings.ts';
import { safeReturnPath } from './return-path.ts';
import { browserEndpointUrl } from './browser-endpoint-url.ts';
import { completedSignInEntry, refusedSignInEntry, signedOutEntry, type SignInAuditLog } from './sign-in-audit.ts';
import type { SignInContinuations } from './sign-in-continuations.ts';

export interface SignInRouterDeps {
  provider: () => Promise<OidcProvider>;
  audit: SignInAuditLog;
  logger: Logger;
  continuations: SignInContinuations;
  begin: (req: Request, res: Response, options?: BeginSignInOptions) => Promise<void>;
  complete: (req: Request) => Promise<SignInOutcome>;
  signInLimiter: RequestHandler;
  csrfProtection: RequestHandler;
  /** Re-run after sign-in so the continuation and templates see the new user. */
  exposeUser: RequestHandler;
  /** The session cookie, cleared at sign-out with the attributes it is set with. */
  sessionCookie: SessionCookieSettings;
  metrics?: Pick<Metrics, 'signIns'>;
}

/**
 * /auth/signin    start a sign-in (GET, so a plain link works; it changes nothing but the session)
 * /auth/callback  the redirect URI registered on the app registration
 * /auth/signout   POST with a CSRF token: ends the local session, then the tenant's
 * /auth/signed-out where the tenant sends the browser afterwards
 */
export function createSignInRouter(deps: SignInRouterDeps): Router {
  const router = Router();

  router.get('/auth/signin', deps.signInLimiter, async (req, res, next) => {
    try {
      const returnTo = safeReturnPath(req.query.returnTo);
      // `?account=choose`: after a refusal, let the user pick another account rather than be
      // signed in again, silently, as the refused one.
      const choose = req.query.account === 'choose';
      if (req.session.user && !choose) return res.redirect(303, returnTo);
      await deps.begin(req, res, { returnTo, ...(choose ? { prompt: 'select_account' as const } : {}) });
    } catch (err) {
      next(err);
    }
  });

  router.get(CALLBACK_PATH, deps.signInLimiter, async (req, res, next) => {
    try {
      const outcome = await deps.complete(req);
      if (!outcome.ok) return await refuse(deps, req, res, outcome.failure, outcome.claims, outcome.boundReturnTo);
      const { signIn } = outcome;
      try {
        await deps.audit.append(
          completedSignInEntry(signIn.user, {
            promptedLogin: signIn.promptedLogin,
            ...(signIn.boundTo ? { boundTo: { kind: signIn.boundTo.kind, requestId: signIn.boundTo.requestId } } : {}),
          }),
        );
      } catch (err) {
        // A sign-in that cannot be audited does not happen.
        deps.logger.error({ err, oid: signIn.user.oid }, 'sign-in could not be audited; session discarded');
        await destroySession(req);
        throw err;
      }
      deps.metrics?.signIns.inc({ outcome: 'completed', reason: '' });
      if (!signIn.boundTo) return res.redirect(303, signIn.returnTo);
      await new Promise<void>((resolve, reject) => deps.exposeUser(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
      const continuation = deps.continuations.get(signIn.boundTo.kind);
      if (!continuation) {
        deps.logger.warn({ kind: signIn.boundTo.kind }, 'sign-in bound to an unknown continuation');
        return res.redirect(303, '/');
      }
      await continuation(req, res, signIn);
    } catch (err) {
      next(err);
    }
  });

  router.post('/auth/signout', deps.csrfProtection, async (req, res, next) => {
    try {
      const user: SessionUser | undefined = req.session.user;
      if (user) await deps.audit.append(signedOutEntry(user, 'user'));
      await destroySession(req);
      // With the attributes it was set with: without `Secure` a browser keeps a `__Host-` cookie.
      res.clearCookie(deps.sessionCookie.name, sessionCookieClearOptions(deps.sessionCookie, req.secure));
      // The local session is gone whatever happens next; without the tenant's metadata the
      // browser simply lands on the signed-out page.
      const provider = await deps.provider().catch(() => undefined);
      res.redirect(303, provider ? endSessionUrl(provider) : '/auth/signed-out');
    } catch (err) {
      next(err);
    }
  });

  // The refusal of the last callback, kept in the session: reloading it shows the same page (the
  // callback URL's code is spent, and replaying it would only say "unknown sign-in").
  router.get('/auth/refused', (req, res) => {
    const refusal = req.session?.signInRefusal;
    if (!refusal) return res.redirect(303, '/');
    res.status(refusal.status).set('Cache-Control', 'no-store').render('signin/refused.njk', {
      reason: refusal.reason,
      explanation: refusal.explanation,
      neededRoles: refusal.neededRoles,
      accountName: refusal.accountName,
      canRetry: refusal.canRetry,
      backTo: refusal.backTo,
    });
  });

  router.get('/auth/signed-out', (_req, res) => {
    res.render('signin/signed-out.njk');
  });

  return router;
}

async function refuse(
  deps: SignInRouterDeps,
  req: Request,
  res: Response,
  failure: SignInFailure,
  claims: Parameters<typeof refusedSignInEntry>[1],
  boundReturnTo: string | undefined,
): Promise<void> {
  const entry = refusedSignInEntry(failure, claims);
  try {
    await deps.audit.append(entry);
  } catch (err) {
    // The refusal stands either way; the missing audit entry is an operational alarm.
    deps.logger.error({ err, reason: entry.details?.reason }, 'refused sign-in could not be audited');
  }
  deps.logger.info({ reason: entry.details?.reason, actor: entry.actor.id }, 'sign-in refused');
  deps.metrics?.signIns.inc({ outcome: 'refused', reason: String(entry.details?.reason ?? 'unknown') });
  const account = failure.kind === 'account' ? failure.refusal : undefined;
  const backTo = boundReturnTo !== undefined ? safeReturnPath(boundReturnTo) : undefined;
  req.session.signInRefusal = {
    status: account ? 403 : 400,
    reason: account?.reason ?? failure.kind,
    explanation: account?.explanation ?? (failure.kind === 'protocol' ? failure.explanation : ''),
    neededRoles: [...(account?.neededRoles ?? [])],
    accountName: typeof claims?.preferred_username === 'string' ? claims.preferred_username : undefined,
    // An account refusal stands on a retry, except unread groups: Microsoft Graph may answer next time.
    canRetry: !account || account.reason === 'groups-unresolved',
    ...(backTo && backTo !== '/' ? { backTo } : {}),
  };
  await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
  // Post/redirect/get: the page lives at a stable address, not at the spent callback URL.
  res.redirect(303, '/auth/refused');
}

function endSessionUrl(provider: OidcProvider): string {
  if (!provider.endSessionEndpoint) return '/auth/signed-out';
  const params: Record<string, string> = {
    client_id: provider.settings.clientId,
    post_logout_redirect_uri: provider.settings.postLogoutRedirectUri,
  };
  return browserEndpointUrl(provider.endSessionEndpoint, params).href;
}

function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}
