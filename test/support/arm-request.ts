import type { AccessToken, TokenCredential } from '@azure/core-auth';
import {
  bearerTokenAuthenticationPolicy,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  createDefaultHttpClient,
  type HttpMethods,
} from '@azure/core-rest-pipeline';
import { sandboxInfo } from './sandbox-context.ts';

/**
 * A raw ARM call through @azure/core-rest-pipeline, the transport every @azure/arm-* client uses:
 * bearer-token policy with the ARM scope, retries, request ids. For operations no installed
 * arm-* client covers (container apps, compute, AKS, App Service, storage).
 */

export interface ArmResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export const ARM_SCOPE = 'https://management.azure.com/.default';

/** A TokenCredential around a token obtained elsewhere (an on-behalf-of result, a forged token). */
export function staticCredential(token: string, expiresOnTimestamp = Date.now() + 3600_000): TokenCredential {
  return { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp }) };
}

const httpClient = createDefaultHttpClient();

export async function armRequest(
  credential: TokenCredential | undefined,
  method: HttpMethods,
  pathOrUrl: string,
  opts: { body?: unknown; headers?: Record<string, string>; rawAuthorization?: string } = {},
): Promise<ArmResponse> {
  const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${sandboxInfo().armEndpoint}${pathOrUrl}`;
  const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });
  if (credential) pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: ARM_SCOPE }));
  const headers = createHttpHeaders(opts.headers);
  if (opts.rawAuthorization !== undefined) headers.set('authorization', opts.rawAuthorization);
  const request = createPipelineRequest({ url, method, headers });
  if (opts.body !== undefined) {
    request.body = JSON.stringify(opts.body);
    request.headers.set('content-type', 'application/json');
  }
  const res = await pipeline.sendRequest(httpClient, request);
  const text = res.bodyAsText ?? '';
  return { status: res.status, headers: res.headers.toJSON(), body: text ? (JSON.parse(text) as unknown) : undefined };
}
