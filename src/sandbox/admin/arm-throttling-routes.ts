import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { ARM_DEFAULT_THROTTLE_LIMITS, type ArmThrottle } from '../arm/arm-throttling.ts';

/**
 * /_sandbox/arm/throttling: the limits of the sandbox ARM's throttling (arm-throttling.ts). They
 * start as Azure's; a test lowers them to reach them with a few requests, as a busy tenant would.
 * `DELETE` restores Azure's. A change empties nothing but starts every bucket full again. Writes
 * need `X-Sandbox-Admin: true` (the admin router's guard).
 */
const bucket = z.object({ size: z.number().int().min(1).max(1_000_000), refillPerSecond: z.number().positive().max(1_000_000) }).strict();
const limitsSchema = z.object({ read: bucket, write: bucket, delete: bucket, globalMultiplier: z.number().int().min(1).max(1000) }).strict();

export function armThrottlingRoutes(throttle: ArmThrottle, guard: (req: Request, res: Response, next: NextFunction) => void): Router {
  const router = Router();
  router.get('/_sandbox/arm/throttling', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(throttle.limits());
  });
  router.put('/_sandbox/arm/throttling', guard, express.json({ limit: '4kb' }), (req, res) => {
    const parsed = limitsSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return res.status(400).json({ error: { code: 'InvalidRequest', message: `${issue.path.join('.') || '(limits)'}: ${issue.message}` } });
    }
    throttle.setLimits(parsed.data);
    res.json(parsed.data);
  });
  router.delete('/_sandbox/arm/throttling', guard, (_req, res) => {
    throttle.setLimits(ARM_DEFAULT_THROTTLE_LIMITS);
    res.json(ARM_DEFAULT_THROTTLE_LIMITS);
  });
  return router;
}
