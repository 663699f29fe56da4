import { describe, expect, it } from 'vitest';
import { sessionExpiresAt, sessionVerdict } from '../../src/sessions/session-timeouts.ts';

const timeouts = { idleSeconds: 1800, absoluteSeconds: 28_800 };

describe('sessionVerdict', () => {
  it('is active within both limits', () => {
    expect(sessionVerdict({ signedInAt: 1000, lastSeenAt: 2000 }, 2000 + 1799, timeouts)).toBe('active');
  });

  it('ends an idle session at exactly the idle limit', () => {
    expect(sessionVerdict({ signedInAt: 1000, lastSeenAt: 2000 }, 2000 + 1800, timeouts)).toBe('idle-timeout');
  });

  it('counts idleness from sign-in when no activity was recorded', () => {
    expect(sessionVerdict({ signedInAt: 1000, lastSeenAt: undefined }, 1000 + 1800, timeouts)).toBe('idle-timeout');
  });

  it('ends a busy session at the absolute limit however recent the last request', () => {
    const now = 1000 + 28_800;
    expect(sessionVerdict({ signedInAt: 1000, lastSeenAt: now - 1 }, now, timeouts)).toBe('absolute-timeout');
  });

  it('reports the absolute timeout when both apply', () => {
    expect(sessionVerdict({ signedInAt: 0, lastSeenAt: 0 }, 100_000, timeouts)).toBe('absolute-timeout');
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
