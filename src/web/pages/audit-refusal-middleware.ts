/**
 * Audits every 401 and 403 the web app answers (pages and API alike), through the refusal
 * recorder so a flood collapses into counts. It listens for the response to finish, so it needs
 * no hook in the routes that refuse: mount it first among the app's middleware.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { RefusalRecorder } from '../../audit/audit-refusals.ts';
import type { AuditActor, AuditInput } from '../../audit/audit-types.ts';
import { CALLBACK_PATH } from '../../signin/oidc-settings.ts';
import { auditCallerOf } from '../api/audit-routes.ts';
import { recordedPathOf, redactedUrl } from '../redacted-url.ts';

export const HTTP_REFUSED = 'http.refused';

/** Ids and other unbounded segments become placeholders, so one reason covers one route; a credential in the path is redacted first. */
export function routeShape(path: string): string {
  const clean = recordedPathOf(path).slice(0, 512);
  return clean
    .split('/')
    .map((seg) => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(seg) || /^[0-9]+$/.test(seg) || seg.length > 40 ? ':id' : seg))
    .join('/');
}

function actorOf(req: Request, res: Response): AuditActor {
  const user = req.session?.user;
  if (user) return { kind: 'user', id: user.oid, name: user.upn };
  const caller = auditCallerOf(res);
  if (caller) return { kind: caller.kind, id: caller.id, name: caller.name };
  return { kind: 'user', id: `ip:${req.ip ?? 'unknown'}`, name: null };
}

/**
 * `callbackPaths`: routes whose query carries an authorization code and state (the sign-in
 * callback); the recorded path keeps only their parameter names.
 */
export function auditHttpRefusals(
  recorder: RefusalRecorder,
  logger?: { error(obj: object, msg: string): void },
  callbackPaths: readonly string[] = [CALLBACK_PATH],
): RequestHandler {
  return (req, res, next) => {
    res.on('finish', () => {
      if (res.statusCode !== 401 && res.statusCode !== 403) return;
      const actor = actorOf(req, res);
      const shape = routeShape(req.originalUrl);
      const reason = `${res.statusCode} ${req.method} ${shape}`;
      const entry: AuditInput = {
        actor,
        eventType: HTTP_REFUSED,
        outcome: res.statusCode === 401 ? 'unauthenticated' : 'forbidden',
        details: { status: res.statusCode, method: req.method, path: redactedUrl(req.originalUrl, callbackPaths).slice(0, 1024), route: shape, reason, requestId: String(req.id ?? '') },
      };
      recorder.record(actor.id, reason, entry).catch((err: unknown) => logger?.error({ reason: (err as Error).message }, 'a refusal could not be audited'));
    });
    next();
  };
}
