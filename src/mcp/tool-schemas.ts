/**
 * The tools' input schemas. The operation tools take exactly the API's submission schema
 * (operationInputSchema's fields, which the API validates with), with the idempotency key made
 * optional because the tool makes one; the others take the API's request id and list query.
 * The JSON Schema shown to the model is generated from these zod schemas.
 */
import { z } from 'zod';
import { operationInputSchema } from '../operations/operation-schema.ts';
import { MAX_WAIT_SECONDS } from '../operations/operations-service.ts';
import { REQUEST_STATES } from '../operations/operation-types.ts';
import { MAX_PAGE } from '../operations/request-listing.ts';

const shape = operationInputSchema.shape;

/** The request id as the API accepts it (the {id} path parameter of /operations/{id}). */
export const requestIdSchema = z
  .string({ error: 'expected a request id string' })
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9-]+$/, 'expected a request id returned by Elevate')
  .meta({ description: 'The id of a request Elevate returned (requestId)' });

/** One bounded wait, as one long-poll of the API allows. */
export const waitSecondsSchema = z
  .number({ error: 'expected a number of seconds' })
  .int('expected whole seconds')
  .min(0)
  .max(MAX_WAIT_SECONDS)
  .meta({ description: `How long to wait for the request to finish, in seconds (0 to ${MAX_WAIT_SECONDS})` });

export const operationToolInput = z.strictObject({
  ...shape,
  idempotencyKey: shape.idempotencyKey.optional().meta({
    description: 'Optional. Repeating a call with the same key returns the same request instead of acting twice; one is made when absent.',
  }),
});

export const runOperationToolInput = z.strictObject({
  ...operationToolInput.shape,
  waitSeconds: waitSecondsSchema.optional(),
});

export const waitToolInput = z.strictObject({ requestId: requestIdSchema, waitSeconds: waitSecondsSchema.optional() });

export const listToolInput = z.strictObject({
  state: z.enum(REQUEST_STATES).optional().meta({ description: 'Only requests in this state' }),
  limit: z.number().int().min(1).max(MAX_PAGE).optional().meta({ description: `How many, newest first (1 to ${MAX_PAGE}, default 20)` }),
  cursor: z.string().max(200).optional().meta({ description: 'nextCursor of a previous page' }),
});

export const cancelToolInput = z.strictObject({ requestId: requestIdSchema });

/** The JSON Schema of a tool input, as tools/list shows it. */
export function toolJsonSchema(schema: z.ZodType): { type: 'object'; [key: string]: unknown } {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...rest, type: 'object' };
}
