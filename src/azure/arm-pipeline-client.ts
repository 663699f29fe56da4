import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpClient,
  type Pipeline,
  type PipelineRetryOptions,
  type TlsSettings,
} from '@azure/core-rest-pipeline';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AzureEndpoints } from './azure-endpoints.ts';
import type { ArmResponse } from './arm-response.ts';
import { ArmRequestValidationError, buildArmUrl, checkArmMethod, isOnArmEndpoint, type ArmMethod } from './arm-request-target.ts';
import { followArmOperation, type ArmOperationOptions, type ArmOperationResult } from './arm-long-running-operation.ts';

export interface ArmRequest {
  method: ArmMethod;
  /** Path under the ARM endpoint, e.g. /subscriptions/{id}/resourceGroups/{rg}. */
  path: string;
  apiVersion: string;
  body?: unknown;
  query?: Record<string, string>;
  /** Reused by polls of the same operation; a fresh one per call otherwise. */
  correlationId?: string;
  /** Metrics label; a fixed word from our code, never from the agent. */
  purpose?: string;
  abortSignal?: AbortSignal;
}

export type { ArmResponse };


export interface ArmPipelineClient {
  armRequest(request: ArmRequest): Promise<ArmResponse>;
  /** GET of an absolute URL ARM gave us (a polling or nextLink URL); refused off the ARM endpoint. */
  armGetUrl(url: string, correlationId: string, abortSignal?: AbortSignal): Promise<ArmResponse>;
  /** Sends the request and follows a long-running operation until a terminal state or the deadline. */
  armRequestAndWait(request: ArmRequest, options: ArmOperationOptions): Promise<ArmOperationResult>;
}

export interface ArmPipelineOptions {
  retry?: PipelineRetryOptions;
  /** Extra trust for a private ARM endpoint; the sandbox is trusted via NODE_EXTRA_CA_CERTS instead. */
  tls?: TlsSettings;
  timeoutMs?: number;
  logger?: Logger;
  metrics?: Pick<Metrics, 'armRequests'>;
  httpClient?: HttpClient;
}

/** Raised when no HTTP response came back (network, TLS, credential); the message carries no secrets. */
export class ArmTransportError extends Error {
  override name = 'ArmTransportError';
  constructor(message: string, readonly correlationId: string) {
    super(message);
  }
}

/**
 * A generic ARM request executor over @azure/core-rest-pipeline, for operations no generated
 * client models. The credential is whatever identity the call acts as (the agent's UAMI or a
 * one-off OBO token); its token goes only into the Authorization header and only to the ARM origin.
 */
export function createArmPipelineClient(credential: TokenCredential, endpoints: AzureEndpoints, options: ArmPipelineOptions = {}): ArmPipelineClient {
  const pipeline: Pipeline = createPipelineFromOptions({
    retryOptions: options.retry ?? { maxRetries: 3, retryDelayInMs: 500, maxRetryDelayInMs: 8_000 },
    // ARM does not redirect; following one could carry the bearer token to another host.
    redirectOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: 'elevate' },
    ...(options.tls ? { tlsOptions: options.tls } : {}),
  });
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: endpoints.armScope }));
  const httpClient = options.httpClient ?? createDefaultHttpClient();
  const timeout = options.timeoutMs ?? 30_000;
  const log = options.logger;

  async function send(method: ArmMethod, url: string, correlationId: string, purpose: string, body: unknown, abortSignal?: AbortSignal): Promise<ArmResponse> {
    const headers = createHttpHeaders({ accept: 'application/json', 'x-ms-correlation-request-id': correlationId });
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers.set('content-type', 'application/json');
    }
    const request = createPipelineRequest({ url, method, headers, body: payload, timeout, ...(abortSignal ? { abortSignal } : {}) });
    let response;
    try {
      response = await pipeline.sendRequest(httpClient, request);
    } catch (err) {
      options.metrics?.armRequests.inc({ purpose, status: 'error' });
      const reason = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]}` : 'unknown error';
      log?.warn({ method, path: new URL(url).pathname, correlationId, reason }, 'ARM request failed without a response');
      throw new ArmTransportError(`ARM request failed: ${reason}`, correlationId);
    }
    const responseHeaders = response.headers.toJSON();
    const requestId = responseHeaders['x-ms-request-id'];
    options.metrics?.armRequests.inc({ purpose, status: String(response.status) });
    log?.debug({ method, path: new URL(url).pathname, status: response.status, correlationId, requestId }, 'ARM request');
    return { status: response.status, headers: responseHeaders, body: parseBody(response.bodyAsText ?? undefined, responseHeaders['content-type']), correlationId, requestId };
  }

  const client: ArmPipelineClient = {
    async armRequest(request) {
      const method = checkArmMethod(request.method);
      const url = buildArmUrl(endpoints.armEndpoint, request.path, request.apiVersion, request.query);
      return send(method, url, request.correlationId ?? randomUUID(), request.purpose ?? 'generic', request.body, request.abortSignal);
    },
    async armGetUrl(url, correlationId, abortSignal) {
      if (!isOnArmEndpoint(endpoints.armEndpoint, url)) throw new ArmRequestValidationError('refusing to follow a URL outside the ARM endpoint');
      return send('GET', url, correlationId, 'poll', undefined, abortSignal);
    },
    async armRequestAndWait(request, waitOptions) {
      const correlationId = request.correlationId ?? randomUUID();
      const initial = await client.armRequest({ ...request, correlationId });
      const resourceUrl = buildArmUrl(endpoints.armEndpoint, request.path, request.apiVersion, request.query);
      return followArmOperation({ method: request.method, resourceUrl, initial, get: client.armGetUrl, armEndpoint: endpoints.armEndpoint }, waitOptions);
    },
  };
  return client;
}

function parseBody(text: string | undefined, contentType: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  if (contentType && !/json/i.test(contentType)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
