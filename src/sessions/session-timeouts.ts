/**
 * Whether a signed-in session is still usable. Pure: the caller supplies the clock.
 * Idle: no request for `idleSeconds`. Absolute: signed in more than `absoluteSeconds` ago,
 * however busy the session has been, so a stolen cookie cannot be kept alive forever.
 */

export interface SessionTimeouts {
  idleSeconds: number;
  absoluteSeconds: number;
}

export type SessionVerdict = 'active' | 'idle-timeout' | 'absolute-timeout';

export function sessionVerdict(
  session: { signedInAt: number; lastSeenAt: number | undefined },
  nowSeconds: number,
  timeouts: SessionTimeouts,
): SessionVerdict {
  if (nowSeconds - session.signedInAt >= timeouts.absoluteSeconds) return 'absolute-timeout';
  // A session with no recorded activity counts from sign-in.
  const lastSeen = session.lastSeenAt ?? session.signedInAt;
  if (nowSeconds - lastSeen >= timeouts.idleSeconds) return 'idle-timeout';
  return 'active';
}

/**
 * When the stored row may be swept, in epoch seconds: the sooner of the idle and the absolute
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
