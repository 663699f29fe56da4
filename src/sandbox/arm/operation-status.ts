import type { Request, Response } from 'express';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { armErrors } from './arm-errors.ts';

/**
 * Status of a long-running operation: the Azure-AsyncOperation document
 * (`.../operations/{id}` -> `{ status: InProgress|Succeeded }`) and the Location form
 * (`.../operationResults/{id}` -> 202 while running, 200 when done). Only the principal that
 * started an operation can see it.
 */
export function getOperationStatus(
  req: Request,
  res: Response,
  caller: ArmCaller,
  ctx: ArmContext,
  route: { subscriptionId: string; operationId: string; result: boolean },
): void {
  const op = ctx.operations.poll(route.operationId);
  if (!op || op.principalId !== caller.principalId || op.subscriptionId !== route.subscriptionId.toLowerCase()) {
    throw armErrors.operationNotFound(route.operationId.slice(0, 100));
  }
  if (route.result) {
    if (op.status === 'InProgress') {
      res.status(202).set({ Location: `${ctx.origin}${req.originalUrl.replace(/\/{2,}/g, '/')}`, 'Retry-After': '1' }).end();
      return;
    }
    res.status(200).end();
    return;
  }
  const body: Record<string, unknown> = { name: op.id, status: op.status, startTime: op.startTime };
  if (op.endTime) body.endTime = op.endTime;
  if (op.status === 'InProgress') res.set('Retry-After', '1');
  res.json(body);
}
