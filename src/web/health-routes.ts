import { Router } from 'express';
import type { Registry } from 'prom-client';
import { runReadinessChecks, type ReadinessCheck } from './readiness.ts';

/**
 * /healthz: the process is alive and serving. /readyz: every dependency check passes, else 503
 * naming the failed ones. /metrics: Prometheus text format.
 */
export function healthRoutes(options: { readiness: readonly ReadinessCheck[]; registry: Registry; readinessTimeoutMs?: number }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const result = await runReadinessChecks(options.readiness, options.readinessTimeoutMs);
    res
      .status(result.ready ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: result.ready ? 'ready' : 'not_ready', checks: result.checks });
  });
  router.get('/metrics', async (_req, res) => {
    res.set('Cache-Control', 'no-store').type(options.registry.contentType).send(await options.registry.metrics());
  });
  return router;
}
