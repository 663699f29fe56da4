import { describe, expect, it } from 'vitest';
import { pastAbsoluteDeadline, sessionEnding, sessionExpiresAt } from '../../src/sessions/session-timeouts.ts';

const timeouts = { idleSeconds: 1800, absoluteSeconds: 28_800 };

describe('pastAbsoluteDeadline', () => {
  it('holds a session up to the second before its absolute deadline', () => {
    expect(pastAbsoluteDeadline({ signedInAt: 1000 }, 1000 + 28_799, timeouts)).toBe(false);
  });

  it('ends it at exactly the deadline, however recent its last request', () => {
    expect(pastAbsoluteDeadline({ signedInAt: 1000 }, 1000 + 28_800, timeouts)).toBe(true);
  });
});

describe('sessionEnding', () => {
  it('calls an expired row idle while the absolute deadline is still ahead', () => {
    expect(sessionEnding({ signedInAt: 1000 }, 1000 + 1800, timeouts)).toBe('idle-timeout');
  });

  it('reports the absolute timeout when both apply', () => {
    expect(sessionEnding({ signedInAt: 0 }, 100_000, timeouts)).toBe('absolute-timeout');
  });
});

describe('sessionExpiresAt', () => {
  it('gives a session without a user the idle period', () => {
    expect(sessionExpiresAt({ signedInAt: undefined }, 5000, timeouts)).toBe(5000 + 1800);
  });

  it('caps a signed-in session at its absolute deadline', () => {
    expect(sessionExpiresAt({ signedInAt: 1000 }, 1000 + 28_000, timeouts)).toBe(1000 + 28_800);
  });

  it('uses the idle deadline while it is the sooner', () => {
    expect(sessionExpiresAt({ signedInAt: 1000 }, 2000, timeouts)).toBe(2000 + 1800);
  });
});
