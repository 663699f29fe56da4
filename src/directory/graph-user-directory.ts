/**
 * The user look-ups requester resolution needs, against Microsoft Graph through the Azure SDK
 * pipeline with Elevate's own (app-only) credential. Elevate's app needs the application
 * permission User.Read.All (https://learn.microsoft.com/graph/api/user-get#permissions), admin
 * consented.
 *
 * - GET /v1.0/users/{id | userPrincipalName}: 404 Request_ResourceNotFound means "no such user"
 *   (https://learn.microsoft.com/graph/api/user-get);
 * - GET /v1.0/users?$filter=mail eq '..' or otherMails/any(x:x eq '..') or proxyAddresses/any(x:x eq 'smtp:..')
 *   and displayName/mailNickname eq '..' (https://learn.microsoft.com/graph/filter-query-parameter).
 *
 * Every other answer (403 Authorization_RequestDenied without the permission, 429, 5xx, no answer)
 * throws, and resolution records the requester as unresolved (the stricter rule).
 */
import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { createGraphClient, type GraphAnswer } from '../azure/graph-client.ts';
import type { Logger } from '../observability/logger.ts';
import type { DirectoryUserRef, UserDirectory } from './requester-identity.ts';

export interface GraphUserDirectoryOptions {
  /** graph.microsoft.com or a national cloud's Graph, no trailing slash */
  graphEndpoint: string;
  /** `{graphEndpoint}/.default` */
  graphScope: string;
  timeoutMs?: number;
  logger?: Logger | undefined;
  httpClient?: HttpClient;
}

/** Graph answered something other than the user or "no such user". */
export class GraphLookupError extends Error {
  override name = 'GraphLookupError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** OData string literal: a quote is written twice. */
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const SELECT = 'id,userPrincipalName';
/** An address that came from the agent; bounded before it goes into a query. */
const MAX_LOOKUP_LENGTH = 256;

export function createGraphUserDirectory(credential: TokenCredential, options: GraphUserDirectoryOptions): UserDirectory {
  const graph = createGraphClient(credential, options, {
    retryOptions: { maxRetries: 2, retryDelayInMs: 300, maxRetryDelayInMs: 3_000 },
    timeoutMs: options.timeoutMs ?? 10_000,
    ...(options.httpClient ? { httpClient: options.httpClient } : {}),
  });

  async function get(pathAndQuery: string, headers: Record<string, string> = {}): Promise<GraphAnswer> {
    try {
      return await graph({ method: 'GET', path: pathAndQuery, headers });
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : 'unknown error';
      options.logger?.warn({ reason }, 'Microsoft Graph did not answer');
      throw new GraphLookupError(`Microsoft Graph did not answer: ${reason}`, undefined, undefined);
    }
  }

  function failed({ status, errorCode: code }: GraphAnswer): GraphLookupError {
    options.logger?.warn({ status, code }, 'Microsoft Graph refused a user look-up');
    const hint = status === 403 ? " (Elevate's app registration needs the Microsoft Graph application permission User.Read.All, admin consented)" : '';
    return new GraphLookupError(`Microsoft Graph answered ${status}${code ? ` ${code}` : ''}${hint}`, status, code);
  }

  async function list(filter: string): Promise<DirectoryUserRef[]> {
    // Advanced query mode (https://learn.microsoft.com/graph/aad-advanced-queries) so `or` across these properties is accepted.
    const answer = await get(`/v1.0/users?$filter=${encodeURIComponent(filter)}&$select=${SELECT}&$count=true`, { consistencyLevel: 'eventual' });
    const { status, body } = answer;
    if (status !== 200) throw failed(answer);
    const value = (body as { value?: unknown } | undefined)?.value;
    if (!Array.isArray(value)) throw new GraphLookupError('Microsoft Graph answered a user list without a value array', status, undefined);
    return value.flatMap((u) => (typeof (u as { id?: unknown }).id === 'string' ? [{ id: (u as { id: string }).id }] : []));
  }

  const bounded = (s: string) => {
    if (s.length > MAX_LOOKUP_LENGTH) throw new GraphLookupError('the requester is too long to look up', undefined, undefined);
    return s;
  };

  return {
    async byIdOrUpn(idOrUpn) {
      const answer = await get(`/v1.0/users/${encodeURIComponent(bounded(idOrUpn))}?$select=${SELECT}`);
      const { status, body, errorCode } = answer;
      if (status === 404 && errorCode === 'Request_ResourceNotFound') return undefined;
      // A malformed id or UPN is "no such user" too (Graph answers 400 Request_BadRequest for some).
      if (status === 400 && errorCode === 'Request_BadRequest') return undefined;
      if (status !== 200) throw failed(answer);
      const id = (body as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string') throw new GraphLookupError('Microsoft Graph answered a user without an id', status, undefined);
      return { id };
    },
    byAddress(address) {
      const a = bounded(address);
      return list(`mail eq ${literal(a)} or otherMails/any(x:x eq ${literal(a)}) or proxyAddresses/any(x:x eq ${literal(`smtp:${a}`)})`);
    },
    byName(name) {
      const n = bounded(name);
      return list(`displayName eq ${literal(n)} or mailNickname eq ${literal(n)}`);
    },
  };
}
