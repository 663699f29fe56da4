import { randomBytes, randomUUID } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { PENDING_SIGN_IN_TTL_MS, REFRESH_TOKEN_TTL_MS, randomToken } from '../state/entra-sessions.ts';
import type { EntraContext } from './entra-context.ts';
import { entraErrors, entraTimestamp, type EntraError } from './entra-errors.ts';
import { normalizeUserCode } from './device-code-endpoint.ts';
import { parseScopeRequest } from './scope-request.ts';
import { performSignIn, signInRequirement } from './sign-in-authentication.ts';
import { renderDeviceCodeEntryPage, renderMessagePage, renderSignInPage } from './sign-in-page.ts';

/**
 * /devicelogin on the browser origin, the sandbox's https://microsoft.com/devicelogin: the person
 * types the code the CLI printed, picks the account (the same sign-in page and account model as
 * /authorize: an uninvited personal account is stopped with AADSTS50020, Cancel declines), and
 * the polling client then gets its tokens. Every sign-in here is interactive (the sandbox keeps no
 * SSO session for this page), so the session's auth_time is the moment the account was picked.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
 */

const nonce = () => randomBytes(16).toString('base64');

function page(res: Response, ctx: EntraContext, status: number, html: (n: string) => string): void {
  const n = nonce();
  res
    .set({
      'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${n}'; form-action 'self' ${ctx.browserOrigin}; frame-ancestors 'none'; base-uri 'none'`,
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    })
    .status(status)
    .type('html')
    .send(html(n));
}

const failure = (err: EntraError) => `AADSTS${err.code}: ${err.description} Timestamp: ${entraTimestamp()}`;

export function deviceLoginRouter(ctx: EntraContext): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  const codeAction = `${ctx.browserOrigin}/devicelogin`;
  const signInAction = `${ctx.browserOrigin}/devicelogin/signin`;
  const entryPage = (res: Response, status: number, error?: string) => page(res, ctx, status, (n) => renderDeviceCodeEntryPage({ action: codeAction, styleNonce: n, error }));

  router.get('/devicelogin', (_req, res) => entryPage(res, 200));

  router.post('/devicelogin', form, (req: Request, res: Response) => {
    const raw = (req.body as Record<string, unknown> | undefined)?.otc;
    const code = typeof raw === 'string' ? normalizeUserCode(raw) : '';
    const deviceCode = code ? ctx.sessions.userCodes.get(code) : undefined;
    const found = deviceCode ? ctx.sessions.deviceCodes.lookup(deviceCode) : { state: 'absent' as const };
    if (found.state === 'expired') return entryPage(res, 400, 'That code has expired. Start again on your device to get a new code.');
    if (found.state === 'absent' || found.value.status !== 'pending' || found.value.redeemed) {
      return entryPage(res, 400, "That code didn't work. Check the code and try again.");
    }
    const app = ctx.directory.application(found.value.clientId);
    const flowId = randomToken(24);
    ctx.sessions.deviceSignIns.set(flowId, deviceCode!, PENDING_SIGN_IN_TTL_MS);
    page(res, ctx, 200, (n) =>
      renderSignInPage({ action: signInAction, flowId, clientName: app?.displayName ?? 'the application', tenantName: ctx.directory.tenantDisplayName, users: ctx.directory.users, loginHint: undefined, styleNonce: n }),
    );
  });

  router.post('/devicelogin/signin', form, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const flowId = typeof body.flow === 'string' ? body.flow : '';
    const deviceCode = flowId ? ctx.sessions.deviceSignIns.get(flowId) : undefined;
    if (flowId) ctx.sessions.deviceSignIns.delete(flowId);
    const record = deviceCode ? ctx.sessions.deviceCodes.get(deviceCode) : undefined;
    if (!record || record.status !== 'pending' || record.redeemed) {
      return page(res, ctx, 400, (n) => renderMessagePage('Sign in failed', failure(entraErrors.flowExpired()), n));
    }
    if (body.cancel !== undefined) {
      record.status = 'declined';
      return page(res, ctx, 200, (n) => renderMessagePage('Sign-in declined', 'You declined to sign in to the application on your device. You can close this window.', n));
    }
    const user = typeof body.user === 'string' ? ctx.directory.userByOid(body.user) : undefined;
    if (!user) return page(res, ctx, 400, (n) => renderMessagePage('Sign in failed', failure(entraErrors.invalidRequest('Pick one of the listed accounts.')), n));
    // As on /authorize: a personal account nobody invited is not in this directory; the device keeps
    // polling (authorization_pending) until its code expires.
    if (!user.invited) return page(res, ctx, 400, (n) => renderMessagePage('Sign in failed', failure(entraErrors.userNotInTenant(user.upn, 'live.com', ctx.directory.tenantId)), n));
    record.status = 'approved';
    record.userOid = user.oid;
    record.authTime = Math.floor(Date.now() / 1000);
    record.sessionId = randomUUID();
    // MFA when a Conditional Access policy targets the resource the device asked for, or the claims
    // request sent with the code names one (a claims challenge handed back), as on /authorize.
    const resourceAppId = parseScopeRequest(record.scope, ctx.directory).resource.appId;
    ctx.sessions.authentications.set(record.sessionId, performSignIn(ctx.conditionalAccess, user.oid, signInRequirement(ctx.conditionalAccess, user.oid, resourceAppId, record.claims)), REFRESH_TOKEN_TTL_MS);
    ctx.stats.countSignIn();
    ctx.logger.info({ user: user.upn, clientId: record.clientId }, 'sandbox entra: user signed in on the device login page');
    const app = ctx.directory.application(record.clientId);
    page(res, ctx, 200, (n) => renderMessagePage('You have signed in', `You have signed in to ${app?.displayName ?? 'the application'} on your device. You may now close this window.`, n));
  });

  return router;
}
