/**
 * How long to pause before trying again: the server's Retry-After when it sent one (RFC 9110
 * §10.2.3: delay-seconds or an HTTP-date), otherwise exponential backoff with full jitter
 * (a random delay up to the exponential cap), so many agents retrying do not move in step.
 */

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 15_000 };

/** Seconds from a Retry-After header value, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,6}$/.test(trimmed)) return Number(trimmed);
  // IMF-fixdate, the form servers send (e.g. "Fri, 04 Dec 2026 12:00:30 GMT")
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}

/** Milliseconds before attempt `attempt` (0-based) is retried. */
export function retryDelayMs(attempt: number, retryAfterSeconds: number | undefined, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  if (retryAfterSeconds !== undefined) return retryAfterSeconds * 1000;
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 20));
  return Math.floor(random() * cap);
}
