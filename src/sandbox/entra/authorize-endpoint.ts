import { randomBytes, randomUUID } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { AUTHORIZATION_CODE_TTL_MS, PENDING_SIGN_IN_TTL_MS, REFRESH_TOKEN_TTL_MS, SSO_SESSION_TTL_MS, randomToken, type AuthorizeRequest, type SsoSession } from '../state/entra-sessions.ts';
import { knownTenant, tenantForRequest, type EntraContext } from './entra-context.ts';
import { EntraError, entraErrors, entraTimestamp } from './entra-errors.ts';
import { param, type FormBody } from './form-params.ts';
import { AuthorizeFailure, parseAuthorizeRequest } from './authorize-request.ts';
import { renderFormPost, renderMessagePage, renderSignInPage } from './sign-in-page.ts';
import { withQuery } from './redirect-uri.ts';
import { parseScopeRequest } from './scope-request.ts';
import { establishes, performSignIn, signInRequirement } from './sign-in-authentication.ts';

/**
 * /{tenant}/oauth2/v2.0/authorize on the browser origin: validates the request, completes it
 * silently from the browser's SSO session when the session satisfies it (no prompt=login, the
 * hinted user, within max_age, and whatever Conditional Access and the `claims` request ask the
 * user to establish), and otherwise shows the sign-in page; the page's POST signs the chosen user
 * in (with MFA when required: sign-in-authentication.ts) and redirects to the app with a
 * single-use code.
 */

export const SSO_COOKIE = 'sandbox_ests';

function cookiePath(tenantId: string): string {
  return `/${tenantId}/oauth2/`;
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function securityHeaders(res: Response, csp: string): Response {
  return res.set({
    'Content-Security-Policy': `${csp}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
}

const nonce = () => randomBytes(16).toString('base64');
const originOf = (uri: string) => new URL(uri).origin;

function errorPage(res: Response, err: EntraError): void {
  const n = nonce();
  securityHeaders(res, `default-src 'none'; style-src 'nonce-${n}'`)
    .status(400)
    .type('html')
    .send(renderMessagePage('Sign in failed', `AADSTS${err.code}: ${err.description} Timestamp: ${entraTimestamp()}`, n));
}

function respondToApp(res: Response, target: { uri: string; responseMode: 'query' | 'form_post' }, fields: Record<string, string | undefined>): void {
  if (target.responseMode === 'form_post') {
    const n = nonce();
    securityHeaders(res, `default-src 'none'; script-src 'nonce-${n}'; form-action ${originOf(target.uri)}`).type('html').send(renderFormPost(target.uri, fields, n));
    return;
  }
  securityHeaders(res, "default-src 'none'").redirect(302, withQuery(target.uri, fields));
}

function failToApp(res: Response, failure: AuthorizeFailure): void {
  if (!failure.redirect) return errorPage(res, failure.err);
  const err = failure.err;
  const error = err.code === 65001 ? 'consent_required' : err.error;
  respondToApp(res, failure.redirect, {
    error,
    error_description: `AADSTS${err.code}: ${err.description}\r\nTimestamp: ${entraTimestamp()}`,
    error_uri: `https://login.microsoftonline.com/error?code=${err.code}`,
    state: failure.redirect.state,
  });
}

export function authorizeRouter(ctx: EntraContext): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });

  const issueCode = (res: Response, request: AuthorizeRequest, session: SsoSession) => {
    const code = randomToken(48);
    ctx.sessions.codes.set(
      code,
      {
        clientId: request.clientId,
        redirectUri: request.redirectUri,
        codeChallenge: request.codeChallenge,
        scope: request.scope,
        nonce: request.nonce,
        userOid: session.userOid,
        authTime: session.authTime,
        sessionId: session.sid,
        redeemed: false,
      },
      AUTHORIZATION_CODE_TTL_MS,
    );
    respondToApp(res, { uri: request.redirectUri, responseMode: request.responseMode }, { code, state: request.state, session_state: session.sid });
  };

  const showSignIn = (req: Request, res: Response, request: AuthorizeRequest, clientName: string) => {
    const flowId = randomToken(24);
    ctx.sessions.pending.set(flowId, request, PENDING_SIGN_IN_TTL_MS);
    const n = nonce();
    const action = `${ctx.browserOrigin}/${request.tenantId}/oauth2/v2.0/authorize`;
    // form-action must also allow the redirect that follows the POST, or browsers block it
    securityHeaders(res, `default-src 'none'; style-src 'nonce-${n}'; form-action 'self' ${ctx.browserOrigin} ${originOf(request.redirectUri)}`)
      .type('html')
      .send(renderSignInPage({ action, flowId, clientName, tenantName: ctx.directory.tenantDisplayName, users: ctx.directory.users, loginHint: request.loginHint, styleNonce: n }));
  };

  // What this user must establish to get the tokens this request asks for.
  const requirementFor = (userOid: string, request: AuthorizeRequest) =>
    signInRequirement(ctx.conditionalAccess, userOid, parseScopeRequest(request.scope, ctx.directory).resource.appId, request.claims);

  const startAuthorize = (req: Request<{ tenant: string }>, res: Response, params: FormBody) => {
    const tenant = tenantForRequest(ctx, req.params.tenant, param(params, 'client_id'));
    if ('error' in tenant) return errorPage(res, tenant.error);
    const { tenantId } = tenant;
    let parsed: ReturnType<typeof parseAuthorizeRequest>;
    try {
      parsed = parseAuthorizeRequest(params, tenantId, ctx.directory);
    } catch (err) {
      if (err instanceof AuthorizeFailure) return failToApp(res, err);
      throw err;
    }
    const { request, client } = parsed;
    const target = { uri: request.redirectUri, state: request.state, responseMode: request.responseMode };
    const cookie = readCookie(req, SSO_COOKIE);
    const session = cookie ? ctx.sessions.sso.get(cookie) : undefined;
    const now = Math.floor(Date.now() / 1000);
    const sessionUser = session ? ctx.directory.userByOid(session.userOid) : undefined;
    const sessionFits =
      session !== undefined &&
      sessionUser !== undefined &&
      (request.loginHint === undefined || request.loginHint.toLowerCase() === sessionUser.upn.toLowerCase()) &&
      // OpenID Connect: max_age=0 means the same as prompt=login
      (request.maxAge === undefined || (request.maxAge > 0 && now - session.authTime <= request.maxAge));
    // Conditional Access: the session must already have what this request needs (MFA, contexts).
    const stepUp = sessionFits && !establishes(session!.authentication, requirementFor(sessionUser!.oid, request));
    const satisfies = sessionFits && !stepUp;
    if (request.prompt === 'none') {
      if (!session) return failToApp(res, new AuthorizeFailure(entraErrors.loginRequired(), target));
      if (stepUp) return failToApp(res, new AuthorizeFailure(entraErrors.mfaRequiredSilently(parseScopeRequest(request.scope, ctx.directory).resource.appId), target));
      if (!satisfies) return failToApp(res, new AuthorizeFailure(entraErrors.interactionRequired(), target));
      return issueCode(res, request, session);
    }
    if (satisfies && request.prompt === undefined) return issueCode(res, request, session);
    showSignIn(req, res, request, client.displayName);
  };

  router.get('/:tenant/oauth2/v2.0/authorize', (req: Request<{ tenant: string }>, res) => startAuthorize(req, res, req.query as FormBody));

  router.post('/:tenant/oauth2/v2.0/authorize', form, (req: Request<{ tenant: string }>, res) => {
    const body = (req.body ?? {}) as FormBody;
    let flowId: string | undefined;
    try {
      flowId = param(body, 'flow');
    } catch (err) {
      return errorPage(res, err as EntraError);
    }
    if (flowId === undefined) return startAuthorize(req, res, body);
    const request = ctx.sessions.pending.get(flowId);
    ctx.sessions.pending.delete(flowId);
    if (!request || request.tenantId !== knownTenant(ctx, req.params.tenant)) return errorPage(res, entraErrors.flowExpired());
    const target = { uri: request.redirectUri, state: request.state, responseMode: request.responseMode };
    if (body.cancel !== undefined) return failToApp(res, new AuthorizeFailure(entraErrors.userCancelled(), target));
    const user = typeof body.user === 'string' ? ctx.directory.userByOid(body.user) : undefined;
    if (!user) return errorPage(res, entraErrors.invalidRequest('Pick one of the listed accounts.'));
    // A personal Microsoft account that was never invited is not in this directory: Entra stops
    // the sign-in on its own page (AADSTS50020), nothing goes back to the app.
    if (!user.invited) return errorPage(res, entraErrors.userNotInTenant(user.upn, 'live.com', ctx.directory.tenantId));
    const key = randomToken(32);
    const authentication = performSignIn(ctx.conditionalAccess, user.oid, requirementFor(user.oid, request));
    const session: SsoSession = { userOid: user.oid, sid: randomUUID(), authTime: Math.floor(Date.now() / 1000), authentication };
    // Tokens of this session (code, refresh, on-behalf-of) state what the sign-in established.
    ctx.sessions.authentications.set(session.sid, authentication, REFRESH_TOKEN_TTL_MS);
    const previous = readCookie(req, SSO_COOKIE);
    if (previous) ctx.sessions.sso.delete(previous);
    ctx.sessions.sso.set(key, session, SSO_SESSION_TTL_MS);
    ctx.stats.countSignIn();
    ctx.logger.info({ user: user.upn, clientId: request.clientId, amr: authentication.amr, acrs: authentication.acrs }, 'sandbox entra: user signed in');
    res.cookie(SSO_COOKIE, key, { httpOnly: true, sameSite: 'lax', path: cookiePath(request.tenantId), maxAge: SSO_SESSION_TTL_MS });
    issueCode(res, request, session);
  });

  return router;
}
