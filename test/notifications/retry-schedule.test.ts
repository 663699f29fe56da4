import { describe, expect, it } from 'vitest';
import { isExhausted, nextDelayMs, parseRetryAfter } from '../../src/notifications/retry-schedule.ts';

const policy = { baseDelayMs: 1000, maxDelayMs: 60_000, maxAttempts: 5 };
const now = new Date('2026-12-04T12:00:00Z');

describe('nextDelayMs', () => {
  it('doubles per attempt, with jitter between half and the whole ceiling', () => {
    expect(nextDelayMs(policy, 1, 0)).toBe(500);
    expect(nextDelayMs(policy, 1, 0.999)).toBe(999);
    expect(nextDelayMs(policy, 3, 0)).toBe(2000);
    expect(nextDelayMs(policy, 3, 0.5)).toBe(3000);
  });

  it('is capped at the maximum', () => {
    expect(nextDelayMs(policy, 30, 0.999)).toBeLessThanOrEqual(60_000);
    expect(nextDelayMs(policy, 30, 0)).toBe(30_000);
  });

  it('honours a longer Retry-After, but not beyond an hour', () => {
    expect(nextDelayMs(policy, 1, 0, 7000)).toBe(7000);
    expect(nextDelayMs(policy, 5, 0, 10)).toBe(8000);
    expect(nextDelayMs(policy, 1, 0, 10 * 3600_000)).toBe(3600_000);
  });

  it('gives up after maxAttempts', () => {
    expect(isExhausted(policy, 4)).toBe(false);
    expect(isExhausted(policy, 5)).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP-date (RFC 9110 IMF-fixdate)', () => {
    expect(parseRetryAfter('Fri, 04 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Fri, 04 Dec 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('2026-12-04', now)).toBeUndefined();
  });
});
