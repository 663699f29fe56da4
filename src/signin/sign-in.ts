import type { Request, RequestHandler, Response, Router } from 'express';
import type { AppAction, AppSubject } from '../access/app-permissions.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ServiceRolesPolicy } from '../policies/service-roles-schema.ts';
import { csrfProtection } from '../sessions/csrf-protection.ts';
import type { SessionCookieSettings } from '../sessions/session-cookie.ts';
import { exposeSignedInUser, requireAbility, requireSignIn } from './access-control.ts';
import { beginSignIn, type BeginSignInOptions } from './begin-sign-in.ts';
import { completeSignIn } from './complete-sign-in.ts';
import type { ApiTokenValidator } from '../azure/api-token-validator.ts';
import type { MemberGroupsCheck } from '../azure/graph-member-groups.ts';
import { sendDenial } from './deny-response.ts';
import type { OidcProvider } from './oidc-provider.ts';
import { createDecisionRateLimiter, createSignInRateLimiter, type RateLimitSettings, type RateLimitStoreFactory } from './rate-limits.ts';
import type { SignInAuditLog } from './sign-in-audit.ts';
import { SignInContinuations } from './sign-in-continuations.ts';
import { createSignInRouter } from './sign-in-router.ts';

export interface SignInDeps {
  /** The tenant, discovered on first use (see lazyOidcProvider). */
  provider: () => Promise<OidcProvider>;
  policies: { serviceRoles: ServiceRolesPolicy };
  audit: SignInAuditLog;
  logger: Logger;
  /** The session cookie (from `sessionCookieSettings`), cleared at sign-out with the attributes it is set with. */
  sessionCookie: SessionCookieSettings;
  /** Epoch milliseconds; defaults to Date.now. */
  now?: () => number;
  /** Validator for access tokens to Elevate's API (the service's own, `ServiceContext.tokenValidator`). */
  validateApiToken: ApiTokenValidator;
  /** Microsoft Graph's checkMemberGroups with Elevate's credential, for the group overage (group-memberships.ts). */
  memberGroups: MemberGroupsCheck;
  rateLimits?: { signIn?: RateLimitSettings; decisions?: RateLimitSettings };
  /** Shared counters when several instances share one database (absent: in this process). */
  rateLimitStore?: RateLimitStoreFactory | undefined;
  metrics?: Pick<Metrics, 'signIns'>;
}

/** Sign-in, sessions' identity and access control, ready to mount. */
export interface SignIn {
  /** Mount after the session middleware: /auth/signin, /auth/callback, /auth/signout, /auth/signed-out. */
  router: Router;
  /** Mount after the session middleware on every browser and API route: sets res.locals.user/ability. */
  exposeUser: RequestHandler;
  requireSignIn: RequestHandler;
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
  /** CSRF check for every form POST (token from `csrfToken` in templates, field `_csrf`). */
  csrfProtection: RequestHandler;
  signInLimiter: RequestHandler;
  decisionLimiter: RequestHandler;
  /** Starts a sign-in (and responds with the redirect to the tenant). */
  beginSignIn: (req: Request, res: Response, options?: BeginSignInOptions) => Promise<void>;
  /** Where bound sign-ins continue; see SignInContinuations. */
  continuations: SignInContinuations;
}

export function createSignIn(deps: SignInDeps): SignIn {
  const now = deps.now ?? Date.now;
  const continuations = new SignInContinuations();
  const csrf = csrfProtection((req, res) =>
    sendDenial(req, res, {
      status: 403,
      error: 'csrf_token_invalid',
      message: 'This form has expired or did not come from Elevate. Go back, reload the page and try again.',
      view: 'errors/csrf-failed.njk',
    }),
  );
  const signInLimiter = createSignInRateLimiter(deps.rateLimits?.signIn, deps.rateLimitStore);
  const begin = async (req: Request, res: Response, options?: BeginSignInOptions) =>
    beginSignIn(await deps.provider(), Math.floor(now() / 1000), req, res, options);
  const exposeUser = exposeSignedInUser(deps.policies);
  const router = createSignInRouter({
    provider: deps.provider,
    audit: deps.audit,
    logger: deps.logger,
    continuations,
    begin,
    complete: async (req) =>
      completeSignIn({ provider: await deps.provider(), policies: deps.policies, validateApiToken: deps.validateApiToken, memberGroups: deps.memberGroups, logger: deps.logger, now }, req),
    signInLimiter,
    csrfProtection: csrf,
    exposeUser,
    sessionCookie: deps.sessionCookie,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  return {
    router,
    exposeUser,
    requireSignIn,
    requireAbility,
    csrfProtection: csrf,
    signInLimiter,
    decisionLimiter: createDecisionRateLimiter(deps.rateLimits?.decisions, deps.rateLimitStore),
    beginSignIn: begin,
    continuations,
  };
}
