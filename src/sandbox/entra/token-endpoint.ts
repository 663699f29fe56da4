import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { authenticateClient, authenticatePublicClient } from './client-authentication.ts';
import { sandboxIssuers, tenantForRequest, type EntraContext } from './entra-context.ts';
import { EntraError, entraErrorBody, entraErrors } from './entra-errors.ts';
import { param, type FormBody } from './form-params.ts';
import { authorizationCodeGrant } from './grant-authorization-code.ts';
import { clientCredentialsGrant } from './grant-client-credentials.ts';
import { deviceCodeGrant } from './grant-device-code.ts';
import { onBehalfOfGrant } from './grant-on-behalf-of.ts';
import { refreshTokenGrant } from './grant-refresh-token.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/**
 * The documented grant type is the RFC 8628 URN; MSAL sends the short `device_code`, which Entra
 * accepts as well. https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
 */
const DEVICE_CODE_GRANT_SHORT = 'device_code';

const GRANTS = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  'urn:ietf:params:oauth:grant-type:jwt-bearer': onBehalfOfGrant,
  [DEVICE_CODE_GRANT]: deviceCodeGrant,
  [DEVICE_CODE_GRANT_SHORT]: deviceCodeGrant,
} as const;

type GrantName = keyof typeof GRANTS;

/** POST /{tenant}/oauth2/v2.0/token: client authentication, then one module per grant type. */
export function tokenRouter(ctx: EntraContext): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100, type: 'application/x-www-form-urlencoded' });

  router.post('/:tenant/oauth2/v2.0/token', form, async (req: Request<{ tenant: string }>, res: Response) => {
    const correlationId = req.get('client-request-id');
    res.set({ 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' });
    if (correlationId && /^[0-9a-f-]{36}$/i.test(correlationId)) res.set('client-request-id', correlationId);
    const body = (req.body ?? {}) as FormBody;
    let grant = 'unknown';
    let clientId: string | undefined;
    try {
      const tenant = tenantForRequest(ctx, req.params.tenant, param(body, 'client_id'));
      if ('error' in tenant) throw tenant.error;
      const grantType = param(body, 'grant_type');
      if (!grantType) throw entraErrors.missingParameter('grant_type');
      if (!Object.hasOwn(GRANTS, grantType)) throw entraErrors.unsupportedGrantType(grantType.slice(0, 100));
      grant = grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer' ? 'on_behalf_of' : grantType === DEVICE_CODE_GRANT ? 'device_code' : grantType;
      const deviceCode = grantType === DEVICE_CODE_GRANT || grantType === DEVICE_CODE_GRANT_SHORT;
      ctx.stats.countGrant(grant);
      // Only the device code grant may come from a public client (the sandbox models no other public flow).
      const publicClient = deviceCode ? authenticatePublicClient(body, req.get('authorization'), ctx.directory) : undefined;
      const client = publicClient ?? await authenticateClient(body, req.get('authorization'), {
        directory: ctx.directory,
        keys: ctx.keys,
        tokenEndpoint: `${ctx.origin}/${req.params.tenant}/oauth2/v2.0/token`,
        sandboxIssuers: sandboxIssuers(ctx),
      });
      clientId = client.app.clientId;
      const result = await GRANTS[grantType as GrantName](body, client, ctx);
      ctx.logger.info({ grant, clientId, clientAuth: client.method }, 'sandbox entra: token issued');
      res.status(200).json(result);
    } catch (err) {
      if (!(err instanceof EntraError)) throw err;
      ctx.logger.info({ grant, clientId, error: err.error, code: `AADSTS${err.code}` }, 'sandbox entra: token request refused');
      res.status(err.status).json(entraErrorBody(err, correlationId, ctx.origin));
    }
  });

  // body-parser failures (too large, bad encoding) get Entra's shape too
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) return next(err);
    res.status(400).json(entraErrorBody(entraErrors.invalidRequest('The request body could not be read.'), req.get('client-request-id'), ctx.origin));
  });
  return router;
}
