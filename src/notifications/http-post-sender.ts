/**
 * POSTs a JSON body to a channel URL (Teams Workflows/incoming webhooks and the generic webhook)
 * with a per-attempt timeout, no redirects (a redirect could carry the body elsewhere), and the
 * receiver's Retry-After read for the dispatcher.
 */
import { isPermanentHttpStatus, networkError, type DeliveryResult } from './delivery-result.ts';
import { parseRetryAfter } from './retry-schedule.ts';

export async function postJson(url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; now: () => Date }): Promise<DeliveryResult> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, redirect: 'error', signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (err) {
    return { ok: false, error: networkError(err) };
  }
  // The body is not read into anything: drain it so the connection can be reused.
  await res.arrayBuffer().catch(() => undefined);
  if (res.ok) return { ok: true, status: res.status };
  return {
    ok: false,
    error: `http ${res.status}`,
    status: res.status,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), options.now()),
    permanent: isPermanentHttpStatus(res.status),
  };
}
