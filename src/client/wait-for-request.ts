/**
 * Waits for a request to become final by long-polling (GET /operations/{id}?wait=N answers as
 * soon as the request changes, or after N seconds). Between failed polls it pauses for the
 * server's Retry-After or, without one, a jittered exponential backoff; the caller's AbortSignal
 * ends the wait at once. Written over a `get` function, so the MCP server's in-service adapter
 * waits exactly like the HTTP client does.
 */
import type { OperationRequest } from './api-types.ts';
import { clientError, isRetryable, type ElevateResult } from './client-errors.ts';
import { isFinalState } from './request-states.ts';
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffOptions } from './retry-delay.ts';

/** The server's cap on one long-poll (MAX_WAIT_SECONDS). */
export const MAX_POLL_SECONDS = 60;

export interface WaitOptions {
  /** How long to wait in all, in seconds (default 300). The request is answered as it is then. */
  timeoutSeconds?: number;
  signal?: AbortSignal | undefined;
}

export type LongPollGet = (id: string, waitSeconds: number, signal: AbortSignal | undefined) => Promise<ElevateResult<OperationRequest>>;

export interface WaitDeps {
  now?: () => number;
  random?: () => number;
  backoff?: BackoffOptions;
}

export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Resolves with the request once it is final, or when `timeoutSeconds` have passed (then in its
 * current state: check `isFinalState`). Errors: the API's (e.g. not_found) or `aborted`.
 */
export async function waitForRequest(get: LongPollGet, id: string, options: WaitOptions = {}, deps: WaitDeps = {}): Promise<ElevateResult<OperationRequest>> {
  const now = deps.now ?? Date.now;
  const deadline = now() + Math.max(0, options.timeoutSeconds ?? 300) * 1000;
  const signal = options.signal;
  let last: ElevateResult<OperationRequest> | undefined;
  let failures = 0;
  for (;;) {
    if (signal?.aborted) return clientError('aborted', 'the wait was aborted');
    const remainingMs = deadline - now();
    const pollSeconds = Math.max(0, Math.min(MAX_POLL_SECONDS, Math.floor(remainingMs / 1000)));
    const result = await get(id, pollSeconds, signal);
    if (signal?.aborted) return clientError('aborted', 'the wait was aborted');
    if (result.ok) {
      last = result;
      failures = 0;
      if (isFinalState(result.value.state) || deadline - now() < 1000) return result;
      continue;
    }
    if (!isRetryable(result.error)) return result;
    const delay = retryDelayMs(failures++, result.error.retryAfterSeconds, deps.backoff ?? DEFAULT_BACKOFF, deps.random);
    if (now() + delay >= deadline) return last ?? result;
    await abortableSleep(delay, signal);
  }
}
