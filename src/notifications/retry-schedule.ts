/**
 * When to try a failed delivery again (pure): exponential backoff with "equal" jitter (half fixed, half random, so never zero), capped, and a
 * receiver's `Retry-After` (delta-seconds or an HTTP-date, RFC 9110 §10.2.3) honoured when it asks
 * for longer. See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ for why
 * jitter: many notifications failing at once must not retry in lock step.
 */

export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** attempts in all (the first included) before a delivery is dead-lettered */
  maxAttempts: number;
}

/** The `Retry-After` header as milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  // An HTTP-date (IMF-fixdate, or the obsolete forms Date.parse also reads).
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/**
 * The delay before attempt `attempts + 1`, after `attempts` failed ones. `random` is in [0, 1).
 * A Retry-After longer than the backoff wins, up to 1 hour (a receiver cannot park a delivery forever).
 */
export function nextDelayMs(policy: RetryPolicy, attempts: number, random: number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.floor(ceiling / 2 + (random * ceiling) / 2);
  if (retryAfterMs === undefined) return jittered;
  return Math.max(jittered, Math.min(retryAfterMs, 60 * 60 * 1000));
}

export function isExhausted(policy: RetryPolicy, attempts: number): boolean {
  return attempts >= policy.maxAttempts;
}
