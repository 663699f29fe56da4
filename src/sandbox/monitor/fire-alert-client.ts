/**
 * Asks a running sandbox's Azure Monitor to fire (or resolve) an alert through Elevate's secure
 * webhook: what `elevate sandbox fire-alert` and `elevate doctor --alerts` call. The caller must
 * trust the sandbox CA (NODE_EXTRA_CA_CERTS).
 */
import type { FireAlertResult } from './action-group-webhook.ts';

export interface FireAlertRequest {
  /** the sandbox's https origin */
  sandboxOrigin: string;
  /** Elevate's secure webhook URL */
  webhookUrl: string;
  targetResourceId: string;
  kind?: 'metric' | 'log' | 'activity';
  alertRule?: string;
  severity?: string;
  description?: string;
  resolveAlertId?: string;
}

export class FireAlertError extends Error {
  override name = 'FireAlertError';
}

export async function requestFireAlert(r: FireAlertRequest): Promise<FireAlertResult> {
  const { sandboxOrigin, ...body } = r;
  let res: Response;
  try {
    res = await fetch(`${sandboxOrigin}/_sandbox/alerts/fire`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sandbox-admin': 'true' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  } catch (err) {
    throw new FireAlertError(`no sandbox answers at ${sandboxOrigin}: ${(err as Error).message}`);
  }
  const payload = (await res.json().catch(() => ({}))) as FireAlertResult & { error?: { message?: string } };
  if (!res.ok) throw new FireAlertError(`the sandbox could not fire the alert: ${payload.error?.message ?? `HTTP ${res.status}`}`);
  return payload;
}
