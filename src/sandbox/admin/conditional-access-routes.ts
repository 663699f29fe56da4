import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { conditionalAccessPolicySchema } from '../seed/conditional-access-schema.ts';
import type { ConditionalAccess } from '../state/conditional-access.ts';

/**
 * /_sandbox/conditional-access: the tenant's Conditional Access policies, read and changed while
 * the sandbox runs, as a tenant administrator would in the Entra admin center (or through Graph's
 * /identity/conditionalAccess/policies, whose shape a policy here takes: conditional-access-schema.ts).
 * Changes apply to the next sign-in or token request; tokens already issued keep what they say.
 * Writes need `X-Sandbox-Admin: true` (the admin router's guard).
 */
export function conditionalAccessRoutes(ca: ConditionalAccess, guard: (req: Request, res: Response, next: NextFunction) => void): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });
  const invalid = (res: Response, message: string) => res.status(400).json({ error: { code: 'InvalidRequest', message } });

  router.get('/_sandbox/conditional-access/policies', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ value: ca.list() });
  });
  // PUT creates or replaces the policy with the id in the path.
  router.put('/_sandbox/conditional-access/policies/:id', guard, json, (req: Request<{ id: string }>, res) => {
    const parsed = conditionalAccessPolicySchema.safeParse({ ...(req.body as object), id: req.params.id });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return invalid(res, `${issue.path.join('.') || '(policy)'}: ${issue.message}`);
    }
    ca.put(parsed.data);
    res.json(parsed.data);
  });
  router.delete('/_sandbox/conditional-access/policies/:id', guard, (req: Request<{ id: string }>, res) => {
    if (!ca.remove(req.params.id)) return res.status(404).json({ error: { code: 'NotFound', message: 'No Conditional Access policy with this id.' } });
    res.status(204).end();
  });
  return router;
}
