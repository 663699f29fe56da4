import { Router, type Request, type Response, type NextFunction } from 'express';
import type { ActivityLog } from '../state/activity-events.ts';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { SandboxStats } from '../state/sandbox-stats.ts';

/**
 * /_sandbox/*: operator endpoints of the sandbox itself (no Azure counterpart), for processes
 * that share a sandbox but not its handle — test workers, benchmarks, the demo: request counters,
 * the activity log, and signing-key rotation. POSTs need `X-Sandbox-Admin: true`, a header a
 * cross-site form cannot send.
 */
export function adminRouter(deps: { stats: SandboxStats; keys: SigningKeyStore; activity: ActivityLog }): Router {
  const router = Router();
  const guard = (req: Request, res: Response, next: NextFunction) => {
    if (req.get('x-sandbox-admin') !== 'true') {
      res.status(403).json({ error: { code: 'Forbidden', message: 'Send X-Sandbox-Admin: true to use the sandbox admin endpoints.' } });
      return;
    }
    next();
  };
  router.get('/_sandbox/stats', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(deps.stats.snapshot());
  });
  router.post('/_sandbox/stats/reset', guard, (_req, res) => {
    deps.stats.reset();
    res.status(204).end();
  });
  router.post('/_sandbox/signing-keys/rotate', guard, (_req, res) => {
    res.json(deps.keys.rotate());
  });
  router.get('/_sandbox/activity', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ value: deps.activity.all() });
  });
  return router;
}
