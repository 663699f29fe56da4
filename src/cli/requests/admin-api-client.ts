/**
 * Calls Elevate's administrator API (/api/v1/requests) with a bearer token. The token is only
 * put in the Authorization header of this one call; nothing here keeps or prints it.
 */
import { CliError } from '../cli-output.ts';
import { terminalSafe } from './terminal-safe.ts';

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  /** on a 401: the challenge (a relayed claims challenge is read from it, claims-challenge-header.ts) */
  wwwAuthenticate?: string | undefined;
}

export async function callAdminApi(baseUrl: string, token: string, method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<ApiAnswer> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/api/v1/requests${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      redirect: 'error',
    });
  } catch (err) {
    throw new CliError(`cannot reach Elevate at ${baseUrl}: ${(err as Error).message}`, 1);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`Elevate answered ${res.status} with a body that is not JSON`, 1);
  }
  return {
    status: res.status,
    body: parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {},
    wwwAuthenticate: res.headers.get('www-authenticate') ?? undefined,
  };
}

/** A refusal as one line: the API's code and message. */
export function refusalOf(answer: ApiAnswer): CliError {
  const error = answer.body.error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof error?.code === 'string' ? error.code : `http_${answer.status}`;
  const message = typeof error?.message === 'string' ? error.message : 'refused';
  return new CliError(terminalSafe(`${code}: ${message}`), 1);
}
