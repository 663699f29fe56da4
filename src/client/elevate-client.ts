/**
 * The typed client of Elevate's agent API. It authenticates with any @azure/identity
 * TokenCredential (the agent's managed identity by default) for Elevate's API scope, and answers
 * every call with an ElevateResult: the API's typed value, or an error value carrying the API's
 * error code. Submissions get an idempotency key when the caller gives none; calls that are safe
 * to repeat are retried after the server's Retry-After or a jittered backoff.
 */
import type { TokenCredential } from '@azure/core-auth';
import { ManagedIdentityCredential } from '@azure/identity';
import type { Decision, ListQuery, OperationInput, OperationRequest, OperationRequestPage } from './api-types.ts';
import { createApiTransport, type ApiCall } from './api-transport.ts';
import { isRetryable, type ElevateResult } from './client-errors.ts';
import { withIdempotencyKey } from './idempotency-key.ts';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffOptions } from './retry-delay.ts';
import { abortableSleep, MAX_POLL_SECONDS, waitForRequest, type WaitOptions } from './wait-for-request.ts';

export interface ElevateClientOptions {
  /** Elevate's URL, e.g. https://elevate.contoso.com (http only for a loopback address). */
  baseUrl: string;
  /** Elevate's API scope for the token: `api://{elevate-client-id}/.default` (the App ID URI + /.default). */
  scope: string;
  /** Default: ManagedIdentityCredential (the user-assigned identity `managedIdentityClientId`, or the system-assigned one). */
  credential?: TokenCredential;
  managedIdentityClientId?: string;
  /** Retries of a call that is safe to repeat, after 429/503 or no answer (default 3). */
  maxRetries?: number;
  /** A server Retry-After longer than this is not waited out but returned (default 60 s). */
  maxRetryAfterSeconds?: number;
  backoff?: BackoffOptions;
  /** Per call, without a long-poll's wait (default 30 s). */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface ElevateClient {
  /** What Elevate would decide for the operation; creates nothing and calls no ARM. */
  decide(input: OperationInput, options?: CallOptions): Promise<ElevateResult<Decision>>;
  /** Asks Elevate to perform the operation: executed now, or a request waiting for an administrator. */
  submit(input: OperationInput, options?: CallOptions): Promise<ElevateResult<OperationRequest>>;
  /** One of the agent's requests; `waitSeconds` (≤ 60) long-polls for a change. */
  get(id: string, options?: CallOptions & { waitSeconds?: number }): Promise<ElevateResult<OperationRequest>>;
  /** Waits until the request is final or `timeoutSeconds` pass (then as it is). */
  wait(id: string, options?: WaitOptions): Promise<ElevateResult<OperationRequest>>;
  list(query?: ListQuery, options?: CallOptions): Promise<ElevateResult<OperationRequestPage>>;
  /** Withdraws a request that has not started executing. */
  cancel(id: string, options?: CallOptions): Promise<ElevateResult<OperationRequest>>;
}

export function createElevateClient(options: ElevateClientOptions): ElevateClient {
  const credential =
    options.credential ?? new ManagedIdentityCredential(options.managedIdentityClientId ? { clientId: options.managedIdentityClientId } : {});
  const transport = createApiTransport({ baseUrl: options.baseUrl, credential, scope: options.scope, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const maxRetries = options.maxRetries ?? 3;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 60;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;

  /** Sends `call`, repeating it after a retryable failure when repeating cannot do anything twice. */
  async function send<T>(call: Omit<ApiCall, 'timeoutMs'> & { timeoutMs?: number }, repeatable: boolean): Promise<ElevateResult<T>> {
    for (let attempt = 0; ; attempt++) {
      const result = await transport<T>({ ...call, timeoutMs: call.timeoutMs ?? timeoutMs });
      if (result.ok || !repeatable || attempt >= maxRetries || !isRetryable(result.error)) return result;
      if ((result.error.retryAfterSeconds ?? 0) > maxRetryAfter) return result;
      await abortableSleep(retryDelayMs(attempt, result.error.retryAfterSeconds, backoff), call.signal);
      if (call.signal?.aborted) return { ok: false, error: { status: 0, code: 'aborted', message: 'the call was aborted' } };
    }
  }

  const enc = encodeURIComponent;

  const get: ElevateClient['get'] = (id, o = {}) => {
    const waitSeconds = o.waitSeconds === undefined ? undefined : Math.max(0, Math.min(MAX_POLL_SECONDS, Math.floor(o.waitSeconds)));
    return send<OperationRequest>(
      { method: 'GET', path: `/operations/${enc(id)}`, query: { wait: waitSeconds }, signal: o.signal, timeoutMs: timeoutMs + (waitSeconds ?? 0) * 1000 },
      true,
    );
  };

  return {
    // A decision is read-only, and a submission carries its idempotency key: both are safe to repeat.
    decide: (input, o = {}) => send<Decision>({ method: 'POST', path: '/decisions', body: withIdempotencyKey(input), signal: o.signal }, true),
    submit: (input, o = {}) => send<OperationRequest>({ method: 'POST', path: '/operations', body: withIdempotencyKey(input), signal: o.signal }, true),
    get,
    wait: (id, o = {}) =>
      waitForRequest(
        // Each poll is one call: the wait loop itself paces retries within its deadline.
        (rid, waitSeconds, signal) =>
          transport<OperationRequest>({ method: 'GET', path: `/operations/${enc(rid)}`, query: { wait: waitSeconds }, signal, timeoutMs: timeoutMs + waitSeconds * 1000 }),
        id,
        o,
        { backoff },
      ),
    list: (query = {}, o = {}) => send<OperationRequestPage>({ method: 'GET', path: '/operations', query: { limit: query.limit, cursor: query.cursor, state: query.state }, signal: o.signal }, true),
    // Not repeated: a cancel that took effect but whose answer was lost would come back as a 409.
    cancel: (id, o = {}) => send<OperationRequest>({ method: 'POST', path: `/operations/${enc(id)}/cancel`, signal: o.signal }, false),
  };
}
