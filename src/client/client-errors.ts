/**
 * Errors as values. Every call answers `{ ok: true, value }` or `{ ok: false, error }`; the error
 * carries the API's own `code` (the `error.code` of its JSON body) or, for what happened on this
 * side of the wire, one of the client codes below. Nothing is thrown for an answer the API gave.
 */
import type { ApiErrorBody } from './api-types.ts';

/** Codes the agent API answers with (see the responses in src/web/api/openapi.ts). */
export type ApiErrorCode =
  | 'unauthorized'
  | 'invalid_token'
  | 'not_an_agent'
  | 'keys_unavailable'
  | 'rate_limited'
  | 'invalid_request'
  | 'invalid_json'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'forbidden'
  | 'idempotency_conflict'
  | 'not_found'
  | 'invalid_state'
  | 'too_many_waiters'
  | 'audit_unavailable'
  | 'permission_state_unavailable';

/** Codes for failures on the client's side: the API gave no answer to read. */
export type ClientErrorCode =
  /** the credential could not produce a token for Elevate's API */
  | 'credential_unavailable'
  /** no HTTP answer (connection refused, reset, DNS) */
  | 'network_error'
  /** an answer that is not the API's JSON */
  | 'invalid_response'
  /** the caller's AbortSignal fired */
  | 'aborted'
  /** wait() reached its own time limit before the request settled */
  | 'wait_timeout';

export interface ElevateError {
  /** HTTP status of the API's answer; 0 when there was none (client codes). */
  status: number;
  code: ApiErrorCode | ClientErrorCode | (string & {});
  message: string;
  fields?: ApiErrorBody['fields'];
  /** The decision behind a 403 (guardrail rule, run mode). */
  decision?: ApiErrorBody['decision'];
  /** Seconds the server asked to wait (Retry-After), when it did. */
  retryAfterSeconds?: number;
}

export type ElevateResult<T> = { ok: true; status: number; value: T } | { ok: false; error: ElevateError };

export const clientError = (code: ClientErrorCode, message: string): { ok: false; error: ElevateError } => ({ ok: false, error: { status: 0, code, message } });

/** Answers worth trying again after a pause: the API said so (429, 503) or nothing answered. */
export function isRetryable(error: ElevateError): boolean {
  return error.status === 429 || error.status === 503 || error.code === 'network_error';
}
