/**
 * Hashes that bind a request to its content. The operation hash covers exactly what is sent to
 * ARM (method, path, api-version, body) and is checked again right before execution; the
 * submission hash covers the whole submission and tells a retried idempotency key from a reused one.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { ArmOperation, OperationInput } from './operation-types.ts';

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function canonical(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no canonical JSON form');
  return text;
}

export function armOperationOf(input: Pick<OperationInput, 'method' | 'path' | 'apiVersion' | 'body' | 'query'>): ArmOperation {
  const op: ArmOperation = { method: input.method, path: input.path, apiVersion: input.apiVersion };
  if (input.body !== undefined) op.body = input.body;
  if (input.query !== undefined) op.query = input.query;
  return op;
}

/**
 * SHA-256 over the RFC 8785 canonical JSON of the operation; `body` absent and `null` differ. The
 * query (changestate's newState) is covered when present; without one the hash is what it always was.
 */
export function operationHash(op: ArmOperation): string {
  return sha256Hex(
    canonical({ v: 1, method: op.method, path: op.path, apiVersion: op.apiVersion, ...(op.body !== undefined ? { body: op.body } : {}), ...(op.query !== undefined ? { query: op.query } : {}) }),
  );
}

export function submissionHash(input: OperationInput): string {
  return sha256Hex(canonical({ v: 1, ...input }));
}
