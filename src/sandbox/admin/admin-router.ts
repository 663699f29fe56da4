import express, { Router, type Request, type Response, type NextFunction } from 'express';
import type { ActivityLog } from '../state/activity-events.ts';
import { CONTAINER_NAME, type BlobAccounts } from '../blob/blob-state.ts';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { SandboxStats } from '../state/sandbox-stats.ts';
import type { ArmState } from '../state/arm-state.ts';
import type { ConditionalAccess } from '../state/conditional-access.ts';
import { conditionalAccessRoutes } from './conditional-access-routes.ts';
import { armThrottlingRoutes } from './arm-throttling-routes.ts';
import type { ArmThrottle } from '../arm/arm-throttling.ts';
import type { TokenIssuer } from '../entra/token-issuer.ts';
import type { Directory } from '../state/directory.ts';
import type { FiredAlerts } from '../state/fired-alerts.ts';
import { ALERT_KINDS, fireAlert, WebhookSetupError, type AlertKind } from '../monitor/action-group-webhook.ts';

/**
 * /_sandbox/*: operator endpoints of the sandbox itself (no Azure counterpart), for processes
 * that share a sandbox but not its handle — test workers, benchmarks, the demo: request counters,
 * the activity log, signing-key rotation, and Blob containers with version-level immutability
 * (what `az storage container-rm create --enable-vlw` plus a retention policy make), and the
 * tenant's Conditional Access policies and ARM's throttling limits. Writes need `X-Sandbox-Admin: true`, a header a
 * cross-site form cannot send.
 */
export function adminRouter(deps: {
  stats: SandboxStats;
  keys: SigningKeyStore;
  activity: ActivityLog;
  blobs: BlobAccounts;
  arm?: ArmState;
  /** Azure Monitor: alerts fired through an action group's secure webhook (`elevate sandbox fire-alert`) */
  monitor: { alerts: FiredAlerts; directory: Directory; issuer: TokenIssuer; defaultAudience: string };
  conditionalAccess: ConditionalAccess;
  armThrottle: ArmThrottle;
}): Router {
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
  router.post('/_sandbox/blob/containers', guard, express.json({ limit: '4kb' }), (req, res) => {
    const body = (req.body ?? {}) as { account?: unknown; name?: unknown; retentionDays?: unknown; versionLevelWorm?: unknown };
    const account = typeof body.account === 'string' ? body.account : deps.blobs.accountNames()[0];
    const days = body.retentionDays;
    if (!account || !deps.blobs.hasAccount(account) || typeof body.name !== 'string' || !CONTAINER_NAME.test(body.name)) {
      res.status(400).json({ error: { code: 'InvalidRequest', message: 'Send {account?, name, retentionDays?, versionLevelWorm?} with a seeded storage account and a valid container name.' } });
      return;
    }
    if (days !== undefined && (typeof days !== 'number' || !Number.isSafeInteger(days) || days < 1 || days > 146_000)) {
      res.status(400).json({ error: { code: 'InvalidRequest', message: 'retentionDays must be a whole number of days from 1 to 146000.' } });
      return;
    }
    const worm = body.versionLevelWorm !== false;
    const c = deps.blobs.createContainer(account, body.name, { versionLevelWorm: worm, ...(worm && days !== undefined ? { policy: { days, state: 'Unlocked' as const } } : {}) });
    res.status(201).json({ account, name: c.name, versionLevelWorm: c.versionLevelWorm, retentionDays: c.policy?.days ?? null });
  });
  // The sandbox clock (time-bound role assignments start and end on it) and the PIM licence switch.
  const arm = deps.arm;
  if (arm) {
    const clockJson = () => ({ now: arm.clock.now().toISOString(), offsetSeconds: arm.clock.offset() / 1000 });
    router.get('/_sandbox/clock', (_req, res) => {
      res.set('Cache-Control', 'no-store').json(clockJson());
    });
    router.post('/_sandbox/clock/advance', guard, express.json({ limit: '1kb' }), (req, res) => {
      const seconds = (req.body as { seconds?: unknown } | undefined)?.seconds;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0 || seconds > 366 * 24 * 3600) {
        res.status(400).json({ error: { code: 'InvalidRequest', message: 'Send {seconds} with a number of seconds from 0 to one year: the clock only moves forward.' } });
        return;
      }
      arm.clock.advance(seconds * 1000);
      arm.syncSchedules();
      res.json(clockJson());
    });
    router.get('/_sandbox/pim', (_req, res) => {
      res.set('Cache-Control', 'no-store').json({ licensed: arm.pim.licensed });
    });
    // {licensed:false} makes every PIM call answer what a tenant without Entra ID P2 gets.
    router.post('/_sandbox/pim', guard, express.json({ limit: '1kb' }), (req, res) => {
      const licensed = (req.body as { licensed?: unknown } | undefined)?.licensed;
      if (typeof licensed !== 'boolean') {
        res.status(400).json({ error: { code: 'InvalidRequest', message: 'Send {licensed: true|false}.' } });
        return;
      }
      arm.pim.licensed = licensed;
      res.json({ licensed });
    });
  }
  // Fires (or resolves) an alert the way an action group with a secure webhook delivers it.
  router.post('/_sandbox/alerts/fire', guard, express.json({ limit: '8kb' }), (req, res, next) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const str = (v: unknown, max: number) => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);
    const webhookUrl = str(b.webhookUrl, 2048);
    const targetResourceId = str(b.targetResourceId, 2048);
    const kind = b.kind === undefined ? 'metric' : (ALERT_KINDS as readonly unknown[]).includes(b.kind) ? (b.kind as AlertKind) : undefined;
    if (!webhookUrl || !/^https?:\/\//.test(webhookUrl) || !targetResourceId || !kind) {
      res.status(400).json({ error: { code: 'InvalidRequest', message: `Send {webhookUrl, targetResourceId, kind?: ${ALERT_KINDS.join('|')}, alertRule?, severity?, description?, resolveAlertId?, audience?}.` } });
      return;
    }
    fireAlert(deps.monitor, {
      webhookUrl,
      targetResourceId,
      kind,
      audience: str(b.audience, 512) ?? deps.monitor.defaultAudience,
      ...(str(b.alertRule, 256) ? { alertRule: str(b.alertRule, 256)! } : {}),
      ...(str(b.severity, 8) ? { severity: str(b.severity, 8)! } : {}),
      ...(str(b.description, 1024) ? { description: str(b.description, 1024)! } : {}),
      ...(str(b.resolveAlertId, 200) ? { resolveAlertId: str(b.resolveAlertId, 200)!.split('/').at(-1)! } : {}),
    })
      .then((result) => res.json(result))
      .catch((err: unknown) => {
        if (err instanceof WebhookSetupError) return res.status(400).json({ error: { code: 'InvalidRequest', message: err.message } });
        if (err instanceof Error && (err.name === 'TypeError' || err.name === 'TimeoutError')) return res.status(502).json({ error: { code: 'WebhookUnreachable', message: `the webhook could not be reached: ${err.message.slice(0, 200)}` } });
        next(err);
      });
  });
  router.use(conditionalAccessRoutes(deps.conditionalAccess, guard));
  router.use(armThrottlingRoutes(deps.armThrottle, guard));
  router.get('/_sandbox/activity', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ value: deps.activity.all() });
  });
  return router;
}
