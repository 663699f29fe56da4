/**
 * When a signed-in session stops being usable. Pure: the caller supplies the clock.
 * Idle: no request for `idleSeconds`. Absolute: signed in more than `absoluteSeconds` ago,
 * however busy the session has been, so a stolen cookie cannot be kept alive forever.
 *
 * The idle deadline lives only in the stored row's `expires_at`, which each response extends
 * (express-session's rolling touch writes that one column). It is deliberately not a field of
 * the session's data: a field that changes on every request marks the session modified, and
 * then a request that finishes late saves its stale copy over what a concurrent request of the
 * same browser just stored (a sign-in in flight, a CSRF token).
 */

export interface SessionTimeouts {
  idleSeconds: number;
  absoluteSeconds: number;
}

export type SessionEnding = 'idle-timeout' | 'absolute-timeout';

/** Whether a loaded session is past its absolute deadline, which needs no write to keep. */
export function pastAbsoluteDeadline(session: { signedInAt: number }, nowSeconds: number, timeouts: SessionTimeouts): boolean {
  return nowSeconds - session.signedInAt >= timeouts.absoluteSeconds;
}

/** Why a stored row found expired ended: the absolute deadline if it had passed, else idleness. */
export function sessionEnding(session: { signedInAt: number }, nowSeconds: number, timeouts: SessionTimeouts): SessionEnding {
  return pastAbsoluteDeadline(session, nowSeconds, timeouts) ? 'absolute-timeout' : 'idle-timeout';
}

/**
 * When the stored row expires, in epoch seconds: the sooner of the idle and the absolute
 * deadlines. A row without a signed-in user (a sign-in in flight) lives for the idle period.
 */
export function sessionExpiresAt(
  session: { signedInAt: number | undefined },
  nowSeconds: number,
  timeouts: SessionTimeouts,
): number {
  const idle = nowSeconds + timeouts.idleSeconds;
  if (session.signedInAt === undefined) return idle;
  return Math.min(idle, session.signedInAt + timeouts.absoluteSeconds);
}
