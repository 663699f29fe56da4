import { Router, type NextFunction, type Request, type Response } from 'express';
import { GRAPH_APP_ID } from '../state/first-party-apps.ts';
import { knownTenant, sandboxIssuers, type EntraContext } from './entra-context.ts';
import { verifySandboxToken } from './token-verifier.ts';

/**
 * The endpoints Entra's discovery document names besides authorize, token, keys and logout:
 *
 * - `userinfo_endpoint`: Entra points it at Microsoft Graph (graph.microsoft.com/oidc/userinfo).
 *   It takes a Graph access token from a sign-in with `openid` and answers with the user's `sub`
 *   (the same pairwise value as in the app's ID token), name and email; anything else is 401.
 *   https://learn.microsoft.com/en-us/entra/identity-platform/userinfo
 * - `device_authorization_endpoint` and `kerberos_endpoint` are published so the document has
 *   Entra's shape; the sandbox does not emulate those flows and says so (501), rather than
 *   pretending with an invented AADSTS code.
 */
export function userInfoRouter(ctx: EntraContext): Router {
  const router = Router();
  const unauthorized = (res: Response, message: string) =>
    res
      .status(401)
      .set('WWW-Authenticate', `Bearer realm="", authorization_uri="${ctx.browserOrigin}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`)
      .json({ error: { code: 'InvalidAuthenticationToken', message } });

  const userInfo = async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    const m = /^Bearer ([A-Za-z0-9._-]{1,16384})$/.exec(req.get('authorization') ?? '');
    if (!m) return unauthorized(res, 'Access token is empty.');
    const verified = await verifySandboxToken(m[1]!, ctx.keys);
    if (!verified.ok) return unauthorized(res, verified.reason === 'expired' ? 'Lifetime validation failed, the token is expired.' : 'Access token validation failure.');
    const c = verified.claims;
    const user = typeof c.oid === 'string' ? ctx.directory.userByOid(c.oid) : undefined;
    const scopes = typeof c.scp === 'string' ? c.scp.split(' ') : [];
    const clientId = typeof c.appid === 'string' ? c.appid : typeof c.azp === 'string' ? c.azp : undefined;
    if (c.aud !== GRAPH_APP_ID || !sandboxIssuers(ctx).has(String(c.iss)) || !user || !clientId) return unauthorized(res, 'Access token validation failure. Invalid audience.');
    if (!scopes.some((s) => ['openid', 'profile', 'email', 'User.Read'].includes(s))) return unauthorized(res, 'Insufficient privileges to complete the operation.');
    const [given, ...family] = user.displayName.split(' ');
    const body: Record<string, unknown> = {
      sub: ctx.issuer.pairwiseSubject(user.oid, clientId),
      name: user.displayName,
      family_name: family.join(' ') || undefined,
      given_name: given,
      picture: `${ctx.origin}/v1.0/me/photo/$value`,
    };
    if (user.kind !== 'work') body.email = user.upn;
    res.json(body);
  };
  router.get('/oidc/userinfo', userInfo);
  router.post('/oidc/userinfo', userInfo);

  const notEmulated = (what: string) => (req: Request<{ tenant: string }>, res: Response, next: NextFunction) => {
    const t = req.params.tenant.toLowerCase();
    if (!knownTenant(ctx, t) && t !== 'common' && t !== 'organizations') return next();
    res.status(501).json({ error: 'not_implemented', error_description: `The Elevate sandbox does not emulate ${what}; Elevate does not use it.` });
  };
  router.all('/:tenant/kerberos', notEmulated('Kerberos'));
  return router;
}
