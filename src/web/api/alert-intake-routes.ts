/**
 * HTTP for alert intake under /api/v1/alerts. Each handler authenticates the sender, hands the
 * parsed body to the intake use case, and renders its answer.
 * - POST /api/v1/alerts/azure-monitor: Azure Monitor action groups with "secure webhook" on
 *   (an Entra token issued to the action group app for Elevate's registration);
 *   https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups#secure-webhook
 * - POST /api/v1/alerts/sources/{source}: other tools, HMAC-SHA256 of the body (when configured);
 * - POST /api/v1/alerts/sources/{source}/{secret}: other tools that can only call a URL.
 * Body-parser failures (not JSON, too large) reach the mount point as errors and are refused and
 * audited here too.
 */
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { AlertIntake, IntakeResult } from '../../incidents/alert-intake.ts';
import { authenticateSecureWebhook, type SecureWebhookSettings } from '../../incidents/secure-webhook-auth.ts';
import { authenticateSharedSecret, type SharedSecretSource } from '../../incidents/shared-secret-auth.ts';
import { rawBodyOf } from '../raw-body.ts';
import { ALERTS_PATH } from './agent-api-paths.ts';

export { ALERTS_PATH };
export const AZURE_MONITOR_WEBHOOK_PATH = `${ALERTS_PATH}/azure-monitor`;

export interface AlertIntakeRouteDeps {
  intake: AlertIntake;
  secureWebhook: SecureWebhookSettings;
  sharedSecrets: readonly SharedSecretSource[];
}


function render(res: Response, result: IntakeResult): void {
  res.set('Cache-Control', 'no-store');
  if (result.status === 401) res.set('WWW-Authenticate', 'Bearer realm="elevate-alerts"');
  if (result.ok) res.status(result.status).json(result.value);
  else res.status(result.status).json({ error: result.error });
}

const who = (req: Request) => `ip:${req.ip ?? 'unknown'}`;

const BODY_ERRORS: Record<string, [400 | 413, string, string]> = {
  'entity.parse.failed': [400, 'invalid_json', 'request body is not valid JSON'],
  'entity.too.large': [413, 'payload_too_large', 'request body is too large for an alert'],
  'encoding.unsupported': [400, 'invalid_json', 'request body encoding is not supported'],
  'charset.unsupported': [400, 'invalid_json', 'request body charset is not supported'],
  'request.aborted': [400, 'invalid_json', 'request was aborted'],
};

export function alertBodyErrorHandler(deps: Pick<AlertIntakeRouteDeps, 'intake'>): ErrorRequestHandler {
  return (err, req, res, next) => {
    const type = (err as { type?: unknown })?.type;
    const known = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
    if (!known) return next(err);
    deps.intake.refuse(known[0], known[1], known[2], who(req)).then((r) => render(res, r), next);
  };
}

export function alertIntakeRouter(deps: AlertIntakeRouteDeps): Router {
  const router = Router();
  const wrap = (fn: (req: Request, res: Response) => Promise<void>): RequestHandler => (req, res, next) => void fn(req, res).catch(next);
  const requireJson: RequestHandler = (req, res, next) => {
    if (req.is('application/json')) return next();
    deps.intake.refuse(415, 'unsupported_media_type', 'the alert must be JSON (Content-Type: application/json)', who(req)).then((r) => render(res, r), next);
  };

  router.post(
    '/azure-monitor',
    requireJson,
    wrap(async (req, res) => {
      const auth = await authenticateSecureWebhook(req.headers.authorization, deps.secureWebhook);
      render(res, await deps.intake.receive(auth, req.body, who(req)));
    }),
  );
  router.post(
    '/sources/:source',
    requireJson,
    wrap(async (req, res) => {
      const auth = authenticateSharedSecret(deps.sharedSecrets, { source: String(req.params.source), signature: req.get('x-elevate-signature'), rawBody: rawBodyOf(req) });
      render(res, await deps.intake.receive(auth, req.body, who(req)));
    }),
  );
  router.post(
    '/sources/:source/:secret',
    requireJson,
    wrap(async (req, res) => {
      const auth = authenticateSharedSecret(deps.sharedSecrets, { source: String(req.params.source), urlSecret: String(req.params.secret), rawBody: undefined });
      render(res, await deps.intake.receive(auth, req.body, who(req)));
    }),
  );
  return router;
}
