import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelayMs } from '../../src/client/retry-delay.ts';

describe('Retry-After and backoff', () => {
  const now = new Date('2026-12-04T12:00:00Z');

  it('reads delay-seconds and HTTP-dates (RFC 9110 §10.2.3), and ignores anything else', () => {
    expect(parseRetryAfter('17', now)).toBe(17);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Fri, 04 Dec 2026 12:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Fri, 04 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });

  it("waits exactly the server's Retry-After when there is one", () => {
    expect(retryDelayMs(0, 7, { baseMs: 500, maxMs: 15_000 }, () => 0.99)).toBe(7000);
    expect(retryDelayMs(5, 0, { baseMs: 500, maxMs: 15_000 }, () => 0.99)).toBe(0);
  });

  it('otherwise backs off exponentially with full jitter, capped', () => {
    const opts = { baseMs: 500, maxMs: 15_000 };
    expect(retryDelayMs(0, undefined, opts, () => 0.999999)).toBe(499);
    expect(retryDelayMs(3, undefined, opts, () => 0.999999)).toBe(3999);
    expect(retryDelayMs(10, undefined, opts, () => 0.999999)).toBe(14_999);
    expect(retryDelayMs(3, undefined, opts, () => 0)).toBe(0);
    // jitter: different draws, different delays within the cap
    const draws = [0.1, 0.5, 0.9].map((r) => retryDelayMs(2, undefined, opts, () => r));
    expect(new Set(draws).size).toBe(3);
    expect(draws.every((d) => d >= 0 && d < 2000)).toBe(true);
  });
});
