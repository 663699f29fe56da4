/**
 * The one way Elevate talks to Microsoft Graph: the Azure SDK pipeline (bearer token from
 * Elevate's own credential for `{graph}/.default`, retries with backoff that honour Retry-After)
 * with redirects off, since Graph does not redirect the calls Elevate makes and following one could
 * carry the token elsewhere. Answers are parsed as JSON; Graph's error body is
 * `{"error":{"code","message",...}}` (https://learn.microsoft.com/graph/errors).
 */
import type { TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type PipelinePolicy,
  type PipelineRetryOptions,
} from '@azure/core-rest-pipeline';
import type { AzureEndpoints } from './azure-endpoints.ts';

export interface GraphClientOptions {
  retryOptions?: PipelineRetryOptions;
  /** Per call; default 30 s. */
  timeoutMs?: number;
  httpClient?: HttpClient;
  policies?: PipelinePolicy[];
}

export interface GraphCall {
  method: 'GET' | 'POST';
  /** Path and query under the Graph endpoint, e.g. `/v1.0/users/{id}`. */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface GraphAnswer {
  status: number;
  /** The parsed JSON body, or undefined when there was none or it was not JSON. */
  body: unknown;
  /** Graph's `error.code`, bounded, when the body carries one. */
  errorCode: string | undefined;
}

export type GraphClient = (call: GraphCall) => Promise<GraphAnswer>;

export function createGraphClient(credential: TokenCredential, endpoints: Pick<AzureEndpoints, 'graphEndpoint' | 'graphScope'>, options: GraphClientOptions = {}): GraphClient {
  const pipeline = createPipelineFromOptions({
    retryOptions: options.retryOptions ?? { maxRetries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 8_000 },
    redirectOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: 'elevate' },
  });
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: endpoints.graphScope }));
  for (const p of options.policies ?? []) pipeline.addPolicy(p);
  const httpClient = options.httpClient ?? createDefaultHttpClient();
  const base = endpoints.graphEndpoint.replace(/\/+$/, '');

  return async (call) => {
    const request = createPipelineRequest({
      url: `${base}${call.path}`,
      method: call.method,
      headers: createHttpHeaders({ accept: 'application/json', ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}), ...call.headers }),
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
      timeout: options.timeoutMs ?? 30_000,
    });
    const response = await pipeline.sendRequest(httpClient, request);
    let body: unknown;
    try {
      body = response.bodyAsText ? (JSON.parse(response.bodyAsText) as unknown) : undefined;
    } catch {
      body = undefined;
    }
    const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
    return { status: response.status, body, errorCode: typeof code === 'string' ? code.slice(0, 80) : undefined };
  };
}
