/**
 * First step of the pipeline: turn a parsed JSON submission into an `OperationInput`, or into a
 * field-level refusal. Also enforces the one rule that depends on the caller: the path must lie
 * in one of the agent's managed resource groups.
 */
import type { z } from 'zod';
import { isInsideResourceGroups } from './arm-path-rules.ts';
import { operationInputSchema } from './operation-schema.ts';
import type { Agent, OperationInput } from './operation-types.ts';

export interface FieldError {
  /** dotted path of the offending field ('' for the document itself) */
  path: string;
  message: string;
}

export interface InvalidRequest {
  code: 'invalid_request';
  message: string;
  fields: FieldError[];
}

export type ValidationResult = { ok: true; value: OperationInput } | { ok: false; error: InvalidRequest };

const SAFE_KEY = /^[A-Za-z0-9_.$-]{1,64}$/;

/** Field names come from the agent too: echo only ones that are plainly names. */
function fieldName(key: PropertyKey): string {
  const text = String(key);
  return SAFE_KEY.test(text) ? text : '(unprintable field name)';
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current = raw;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function toFieldErrors(raw: unknown, issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const fields: FieldError[] = [];
  for (const issue of issues) {
    const base = issue.path.map(fieldName);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields.push({ path: [...base, fieldName(key)].join('.'), message: 'is not a known field' });
      continue;
    }
    const missing = issue.path.length > 0 && valueAt(raw, issue.path) === undefined && issue.code === 'invalid_type';
    fields.push({ path: base.join('.'), message: missing ? 'is required' : issue.message });
  }
  return fields;
}

export function invalidRequest(fields: FieldError[]): InvalidRequest {
  const first = fields[0];
  const head = first ? `${first.path || 'request body'}: ${first.message}` : 'the request is not valid';
  const more = fields.length > 1 ? ` (and ${fields.length - 1} more problem${fields.length > 2 ? 's' : ''})` : '';
  return { code: 'invalid_request', message: `invalid request: ${head}${more}`, fields };
}

export function validateOperationInput(raw: unknown, agent: Pick<Agent, 'resourceGroupIds'>): ValidationResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, error: invalidRequest([{ path: '', message: 'expected a JSON object' }]) };
  }
  const parsed = operationInputSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: invalidRequest(toFieldErrors(raw, parsed.error.issues)) };

  const input = parsed.data;
  if (!isInsideResourceGroups(input.path, agent.resourceGroupIds)) {
    return {
      ok: false,
      error: invalidRequest([{ path: 'path', message: "must be inside one of the agent's managed resource groups" }]),
    };
  }
  const value: OperationInput = {
    method: input.method,
    path: input.path,
    apiVersion: input.apiVersion,
    trigger: { kind: input.trigger.kind },
    idempotencyKey: input.idempotencyKey,
  };
  if (input.trigger.ref !== undefined) value.trigger.ref = input.trigger.ref;
  if (input.trigger.requestedBy !== undefined) value.trigger.requestedBy = input.trigger.requestedBy;
  if (input.body !== undefined) value.body = input.body as OperationInput['body'];
  if (input.query !== undefined) value.query = { ...input.query };
  if (input.justification !== undefined) value.justification = input.justification;
  return { ok: true, value };
}
