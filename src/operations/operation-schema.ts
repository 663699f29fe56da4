/**
 * The submission schema of POST /api/v1/operations and /decisions. Strict: unknown fields are
 * refused, every string is capped, and nothing the agent sends is interpreted beyond its shape.
 * The same zod schemas generate the OpenAPI document.
 */
import { z } from 'zod';
import { armPathProblem, MAX_PATH_LENGTH } from './arm-path-rules.ts';
import { armQueryProblem } from './arm-query-rules.ts';
import { hasLoneSurrogate, isCleanText } from './clean-text.ts';
import { HTTP_METHODS } from './operation-types.ts';
import { TRIGGER_KINDS } from '../policies/policy-types.ts';

export const LIMITS = {
  /** serialized size of `body`, in UTF-8 bytes */
  bodyBytes: 64 * 1024,
  /** nesting depth of `body` */
  bodyDepth: 32,
  /** the whole HTTP request body; larger is refused before parsing (413) */
  requestBytes: 96 * 1024,
  justification: 2000,
  triggerRef: 256,
  requestedBy: 256,
  idempotencyKey: 128,
  path: MAX_PATH_LENGTH,
} as const;

const plainText = (max: number) =>
  z
    .string({ error: 'expected a string' })
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => isCleanText(s), 'must not contain control or invisible formatting characters');

export const API_VERSION = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(-preview)?$/;

export const triggerSchema = z.strictObject({
  kind: z.enum(TRIGGER_KINDS, { error: `expected one of ${TRIGGER_KINDS.join(', ')}` }),
  ref: plainText(LIMITS.triggerRef).optional(),
  requestedBy: plainText(LIMITS.requestedBy).optional(),
});

/** Any JSON value; the checks run without recursion so a hostile nesting cannot blow the stack. */
const armBodySchema = z.unknown().superRefine((value, ctx) => {
  const problem = jsonBodyProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * The path's check, remembered for the last path checked: one parse asks twice (the path field,
 * then the query check, which needs a well-formed path), and parsing is synchronous, so the
 * second ask is always the same string as the first. Checking a path costs a split and a dozen
 * tests per segment on every distinct submission (issue 18).
 */
let lastPath: string | undefined;
let lastProblem: string | undefined;
function pathProblemOf(path: string): string | undefined {
  if (path !== lastPath) {
    lastProblem = armPathProblem(path);
    lastPath = path;
  }
  return lastProblem;
}

export const operationInputSchema = z
  .strictObject({
    method: z.enum(HTTP_METHODS, { error: `expected one of ${HTTP_METHODS.join(', ')}` }),
    path: z
      .string({ error: 'expected an ARM resource path string' })
      .superRefine((path, ctx) => {
        const problem = pathProblemOf(path);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    apiVersion: z
      .string({ error: 'expected an api-version string' })
      .max(32, 'expected the form YYYY-MM-DD or YYYY-MM-DD-preview')
      .regex(API_VERSION, 'expected the form YYYY-MM-DD or YYYY-MM-DD-preview'),
    body: armBodySchema.optional(),
    // Only what arm-query-rules.ts allows for the path (checked below); never free-form.
    query: z
      .record(z.string().max(64).regex(/^[A-Za-z][A-Za-z0-9]*$/, 'expected a query parameter name'), z.string({ error: 'expected a string' }).max(64), { error: 'expected an object of query parameters' })
      .optional(),
    justification: z
      .string({ error: 'expected a string' })
      .max(LIMITS.justification, `must be at most ${LIMITS.justification} characters`)
      .refine((s) => isCleanText(s, true), 'must not contain control or invisible formatting characters')
      .optional(),
    trigger: triggerSchema,
    idempotencyKey: z
      .string({ error: 'expected a string' })
      .min(1, 'must not be empty')
      .max(LIMITS.idempotencyKey, `must be at most ${LIMITS.idempotencyKey} characters`)
      .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -'),
  })
  .superRefine((input, ctx) => {
    if (input.method !== 'GET' && (input.justification === undefined || input.justification.trim() === '')) {
      ctx.addIssue({ code: 'custom', path: ['justification'], message: `is required for ${input.method} (a write)` });
    }
    if ((input.method === 'GET' || input.method === 'DELETE') && input.body !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `must be absent for ${input.method}` });
    }
    if (pathProblemOf(input.path) === undefined) {
      const q = armQueryProblem(input.method, input.path, input.query);
      if (q) ctx.addIssue({ code: 'custom', path: q.path.split('.'), message: q.message });
    }
  });

export type OperationInputJson = z.infer<typeof operationInputSchema>;

/**
 * Why a JSON body is unacceptable (too deep, too large, not JSON data), or undefined. Walks
 * iteratively: JSON.stringify and canonicalization recurse, so depth is checked before either.
 */
export function jsonBodyProblem(value: unknown): string | undefined {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (depth > LIMITS.bodyDepth) return `must be nested at most ${LIMITS.bodyDepth} levels deep`;
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'string') {
      if (hasLoneSurrogate(v)) return 'must not contain unpaired UTF-16 surrogates';
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'must contain only finite numbers';
      continue;
    }
    if (Array.isArray(v)) {
      for (const item of v) stack.push({ v: item, depth: depth + 1 });
      continue;
    }
    if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      for (const [key, item] of Object.entries(v as Record<string, unknown>)) {
        if (hasLoneSurrogate(key)) return 'must not contain unpaired UTF-16 surrogates';
        stack.push({ v: item, depth: depth + 1 });
      }
      continue;
    }
    return 'must be JSON data';
  }
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > LIMITS.bodyBytes) {
    return `must be at most ${LIMITS.bodyBytes} bytes when serialized`;
  }
  return undefined;
}
