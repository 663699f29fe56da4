import { randomInt } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { DEVICE_CODE_INTERVAL_SECONDS, DEVICE_CODE_LIFETIME_SECONDS, randomToken } from '../state/entra-sessions.ts';
import { tenantForRequest, type EntraContext } from './entra-context.ts';
import { EntraError, entraErrorBody, entraErrors } from './entra-errors.ts';
import { parseClaimsRequest } from './claims-request.ts';
import { param, requiredParam, type FormBody } from './form-params.ts';
import { parseScopeRequest } from './scope-request.ts';

/**
 * POST /{tenant}/oauth2/v2.0/devicecode: the device authorization request of the device code
 * flow, as Entra answers it (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code):
 * `device_code`, a short `user_code` the person types, `verification_uri` (the sandbox's
 * /devicelogin page on the browser origin, Entra's https://microsoft.com/devicelogin), `expires_in`
 * 900, `interval` 5 and a `message` to show. No client credential is sent here; whether the app
 * may redeem the code without one ("Allow public client flows") is decided at the token endpoint,
 * as in Entra, which is where AADSTS7000218 appears.
 * A `claims` request (a Conditional Access claims challenge the app hands back, which MSAL sends
 * here with the request's `claims`: its DeviceCodeClient adds it to the device authorization
 * request) is read as /authorize reads it and kept with the code, so the sign-in on the device
 * login page asks for what it names, MFA say. https://learn.microsoft.com/entra/identity-platform/claims-challenge
 */

/** Entra's user codes: letters and digits without look-alikes (no 0/O, 1/I/L). */
const USER_CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const USER_CODE_LENGTH = 9;

export function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return code;
}

/** What a person may type: spaces and dashes dropped, case ignored. */
export function normalizeUserCode(input: string): string {
  return input.replace(/[\s-]/g, '').toUpperCase().slice(0, 32);
}

export interface DeviceCodeTiming {
  lifetimeSeconds: number;
  intervalSeconds: number;
}

export const ENTRA_DEVICE_CODE_TIMING: DeviceCodeTiming = { lifetimeSeconds: DEVICE_CODE_LIFETIME_SECONDS, intervalSeconds: DEVICE_CODE_INTERVAL_SECONDS };

export function deviceCodeRouter(ctx: EntraContext, timing: DeviceCodeTiming = ENTRA_DEVICE_CODE_TIMING): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50, type: 'application/x-www-form-urlencoded' });

  router.post('/:tenant/oauth2/v2.0/devicecode', form, (req: Request<{ tenant: string }>, res: Response) => {
    const correlationId = req.get('client-request-id');
    res.set({ 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' });
    const body = (req.body ?? {}) as FormBody;
    try {
      const clientId = requiredParam(body, 'client_id');
      const tenant = tenantForRequest(ctx, req.params.tenant, clientId);
      if ('error' in tenant) throw tenant.error;
      const app = ctx.directory.application(clientId);
      if (!app) throw entraErrors.unknownApplication(clientId.slice(0, 100), ctx.directory.tenantId);
      const scope = requiredParam(body, 'scope');
      parseScopeRequest(scope, ctx.directory);
      const claims = parseClaimsRequest(param(body, 'claims'));
      const deviceCode = randomToken(48);
      let userCode = newUserCode();
      while (ctx.sessions.userCodes.get(userCode) !== undefined) userCode = newUserCode();
      const ttl = timing.lifetimeSeconds * 1000;
      ctx.sessions.deviceCodes.set(deviceCode, { tenantId: tenant.tenantId, clientId: app.clientId, scope, claims, userCode, intervalSeconds: timing.intervalSeconds, status: 'pending', redeemed: false }, ttl);
      ctx.sessions.userCodes.set(userCode, deviceCode, ttl);
      const verificationUri = `${ctx.browserOrigin}/devicelogin`;
      ctx.logger.info({ clientId: app.clientId }, 'sandbox entra: device code issued');
      res.status(200).json({
        user_code: userCode,
        device_code: deviceCode,
        verification_uri: verificationUri,
        expires_in: timing.lifetimeSeconds,
        interval: timing.intervalSeconds,
        message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
      });
    } catch (err) {
      if (!(err instanceof EntraError)) throw err;
      res.status(err.status).json(entraErrorBody(err, correlationId, ctx.origin));
    }
  });

  router.use('/:tenant/oauth2/v2.0/devicecode', (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500) return next(err);
    res.status(400).json(entraErrorBody(entraErrors.invalidRequest('The request body could not be read.'), req.get('client-request-id'), ctx.origin));
  });
  return router;
}
