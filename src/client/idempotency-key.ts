import { randomUUID } from 'node:crypto';
import type { OperationInput, OperationSubmission } from './api-types.ts';

/**
 * The submission with an idempotency key: the caller's, or a fresh one. A caller that retries a
 * submission itself should pass its own key (or reuse the returned request's) so the retry
 * replays the first request instead of creating another.
 */
export function withIdempotencyKey(input: OperationInput, newKey: () => string = randomUUID): OperationSubmission {
  return input.idempotencyKey === undefined ? { ...input, idempotencyKey: newKey() } : (input as OperationSubmission);
}
