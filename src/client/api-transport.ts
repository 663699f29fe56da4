/**
 * One call to the agent API: a token for Elevate's API from the caller's TokenCredential (the
 * credential caches and renews it), Node's fetch, and the answer read into an ElevateResult. The
 * token goes only to Elevate's own origin: redirects are not followed, and plain http is accepted
 * only for a loopback address (a local Elevate), never across a network.
 */
import type { TokenCredential } from '@azure/core-auth';
import { clientError, type ElevateResult } from './client-errors.ts';
import { parseRetryAfter } from './retry-delay.ts';

export interface ApiCall {
  method: 'GET' | 'POST';
  /** Path under /api/v1, e.g. `/operations/{id}`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Bound for this call (a long-poll adds its wait). */
  timeoutMs: number;
}

export interface ApiTransportOptions {
  baseUrl: string;
  credential: TokenCredential;
  scope: string;
  fetch?: typeof fetch;
}

export type ApiTransport = <T>(call: ApiCall) => Promise<ElevateResult<T>>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Elevate's API root from its URL; throws on a URL a bearer token must not be sent to. */
export function apiRoot(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.username || url.password || url.search || url.hash) throw new Error('the Elevate URL must not carry credentials, a query or a fragment');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new Error('the Elevate URL must be https (http only for a loopback address): the agent\'s token must not cross a network in clear text');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/api/v1`;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);

export function createApiTransport(options: ApiTransportOptions): ApiTransport {
  const root = apiRoot(options.baseUrl);
  const doFetch = options.fetch ?? fetch;

  return async <T>(call: ApiCall): Promise<ElevateResult<T>> => {
    if (call.signal?.aborted) return clientError('aborted', 'the call was aborted');
    let token: string;
    try {
      const t = await options.credential.getToken(options.scope, call.signal ? { abortSignal: call.signal } : {});
      if (!t) return clientError('credential_unavailable', 'the credential returned no token for Elevate\'s API');
      token = t.token;
    } catch (err) {
      if (call.signal?.aborted) return clientError('aborted', 'the call was aborted');
      return clientError('credential_unavailable', `no token for Elevate's API: ${firstLine(err)}`);
    }

    const url = new URL(`${root}${call.path}`);
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const timeout = AbortSignal.timeout(call.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: call.method,
        redirect: 'manual',
        signal,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
      });
    } catch (err) {
      if (call.signal?.aborted) return clientError('aborted', 'the call was aborted');
      if (timeout.aborted) return clientError('network_error', `Elevate did not answer within ${Math.round(call.timeoutMs / 1000)} s`);
      return clientError('network_error', `Elevate could not be reached: ${firstLine(err)}`);
    }

    let body: unknown;
    try {
      const text = await res.text();
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch (err) {
      if (call.signal?.aborted) return clientError('aborted', 'the call was aborted');
      return { ok: false, error: { status: res.status, code: 'invalid_response', message: `Elevate answered ${res.status} with a body that is not JSON` } };
    }
    if (res.status >= 200 && res.status < 300 && body !== undefined) return { ok: true, status: res.status, value: body as T };

    const retryAfterSeconds = parseRetryAfter(res.headers.get('retry-after'), new Date());
    const apiError = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (apiError && typeof apiError.code === 'string' && typeof apiError.message === 'string') {
      const e = apiError as { code: string; message: string; fields?: never; decision?: never };
      return {
        ok: false,
        error: {
          status: res.status,
          code: e.code,
          message: e.message,
          ...(e.fields !== undefined ? { fields: e.fields } : {}),
          ...(e.decision !== undefined ? { decision: e.decision } : {}),
          ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
        },
      };
    }
    return { ok: false, error: { status: res.status, code: 'invalid_response', message: `Elevate answered ${res.status} without the API's error body`, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) } };
  };
}
