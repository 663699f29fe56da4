import { randomBytes } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { knownTenant, type EntraContext } from './entra-context.ts';
import { param, type FormBody } from './form-params.ts';
import { SSO_COOKIE } from './authorize-endpoint.ts';
import { isRegisteredUri, withQuery } from './redirect-uri.ts';
import { renderMessagePage } from './sign-in-page.ts';
import { verifySandboxToken } from './token-verifier.ts';

/**
 * /{tenant}/oauth2/v2.0/logout on the browser origin: ends the SSO session and returns to
 * post_logout_redirect_uri only when that URI is registered on the app (named by client_id or by
 * the audience of a valid id_token_hint); otherwise it shows a signed-out page.
 */
export function logoutRouter(ctx: EntraContext): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });

  const logout = async (req: Request<{ tenant: string }>, res: Response, params: FormBody) => {
    const tenantId = knownTenant(ctx, req.params.tenant) ?? ctx.directory.tenantId;
    for (const part of (req.get('cookie') ?? '').split(';')) {
      const [k, v] = part.split('=').map((s) => s.trim());
      if (k === SSO_COOKIE && v) ctx.sessions.sso.delete(v);
    }
    res.clearCookie(SSO_COOKIE, { path: `/${tenantId}/oauth2/` });
    res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });

    let target: string | undefined;
    let state: string | undefined;
    let clientId: string | undefined;
    try {
      target = param(params, 'post_logout_redirect_uri');
      state = param(params, 'state');
      clientId = param(params, 'client_id');
      const hint = param(params, 'id_token_hint');
      if (!clientId && hint) {
        const v = await verifySandboxToken(hint, ctx.keys);
        // an expired ID token is still a fine hint of which app is signing out
        if (v.ok || v.reason === 'expired') clientId = typeof v.claims?.aud === 'string' ? v.claims.aud : undefined;
      }
    } catch {
      target = undefined;
    }
    const app = clientId ? ctx.directory.application(clientId) : undefined;
    if (target && app && isRegisteredUri(target, app.postLogoutRedirectUris)) {
      res.redirect(302, withQuery(target, { state }));
      return;
    }
    const n = randomBytes(16).toString('base64');
    res
      .set('Content-Security-Policy', `default-src 'none'; style-src 'nonce-${n}'; frame-ancestors 'none'`)
      .type('html')
      .send(renderMessagePage('You signed out of your account', 'It is a good idea to close all browser windows.', n));
  };

  router.get('/:tenant/oauth2/v2.0/logout', (req: Request<{ tenant: string }>, res) => logout(req, res, req.query as FormBody));
  router.post('/:tenant/oauth2/v2.0/logout', form, (req: Request<{ tenant: string }>, res) => logout(req, res, (req.body ?? {}) as FormBody));
  return router;
}
