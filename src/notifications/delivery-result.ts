/**
 * What one delivery attempt came to, in words safe to audit and log: an HTTP status, an SMTP
 * reply code or a network error code. Never a URL (Teams, Slack and webhook URLs are secrets in
 * themselves), a header or the receiver's response body.
 */
export type DeliveryResult =
  | { ok: true; status?: number | undefined }
  | {
      ok: false;
      /** e.g. `http 503`, `smtp 451`, `network ECONNREFUSED`, `timeout` */
      error: string;
      status?: number | undefined;
      /** the receiver's Retry-After, already in milliseconds */
      retryAfterMs?: number | undefined;
      /** retrying cannot help (the receiver refused the request itself): dead-letter now */
      permanent?: boolean | undefined;
    };

/** 4xx other than timeouts, "too early" and rate limits: the channel is misconfigured, not busy. */
export function isPermanentHttpStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429;
}

/** A thrown network error as its code only (`fetch failed` hides it in `cause`). */
export function networkError(err: unknown): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout';
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  return code && /^[A-Z0-9_]{2,40}$/.test(code) ? `network ${code}` : 'network error';
}
