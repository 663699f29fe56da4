import { randomUUID } from 'node:crypto';

/**
 * The submission an operation tool passes to the API: the model's arguments untouched, less the
 * tool's own fields, with an idempotency key added when the model gave none. Nothing is coerced
 * or dropped silently: wrong types and unknown fields reach the API's validation and its audit.
 */
export function submissionFrom(args: Record<string, unknown>, toolOnlyFields: readonly string[] = []): Record<string, unknown> {
  const submission: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) if (!toolOnlyFields.includes(k)) submission[k] = v;
  if (!Object.hasOwn(submission, 'idempotencyKey')) submission.idempotencyKey = `mcp-${randomUUID()}`;
  return submission;
}
