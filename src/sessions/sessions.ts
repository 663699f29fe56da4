import type { RequestHandler } from 'express';
import type { Logger } from '../observability/logger.ts';
import { provideCsrfToken } from './csrf-protection.ts';
import { sessionCookieSettings, type SessionCookieSettings } from './session-cookie.ts';
import { createSessionMiddleware } from './session-middleware.ts';
import type { SessionEnding, SessionTimeouts } from './session-timeouts.ts';
import { DatabaseSessionStore, type SessionSql } from './database-session-store.ts';

export interface SessionsDeps {
  /** The project's database (openStore's handle), migrated to include migrations/002_sessions.sql. */
  db: SessionSql;
  secret: string;
  publicUrl: string;
  trustProxy: boolean;
  timeouts: SessionTimeouts;
  logger: Logger;
  /** Epoch milliseconds; defaults to Date.now. */
  now?: () => number;
  /** How often expired rows are deleted; defaults to a minute. 0 disables the timer. */
  sweepIntervalMs?: number;
}

export interface Sessions {
  /** Mount before any browser route: session, timeouts, and `csrfToken` for signed-in templates. */
  middleware: RequestHandler[];
  store: DatabaseSessionStore;
  /** The session cookie's name and attributes (session-cookie.ts), which sign-out clears it with. */
  cookie: SessionCookieSettings;
  /** Stops the sweep timer (call at shutdown). */
  close(): void;
}

export function createSessions(deps: SessionsDeps): Sessions {
  const now = deps.now ?? Date.now;
  const onExpired = (ending: SessionEnding, oid: string | undefined) => deps.logger.info({ verdict: ending, oid }, 'session expired');
  const store = new DatabaseSessionStore({ sql: deps.db, timeouts: deps.timeouts, now, onExpired: (ending, user) => onExpired(ending, user.oid) });
  const middleware = createSessionMiddleware({
    store,
    secret: deps.secret,
    publicUrl: deps.publicUrl,
    trustProxy: deps.trustProxy,
    timeouts: deps.timeouts,
    now,
    onExpired: (ending, req) => onExpired(ending, req.session.user?.oid),
  });
  const interval = deps.sweepIntervalMs ?? 60_000;
  const stop =
    interval > 0
      ? store.startSweeping(interval, (err) => deps.logger.warn({ err }, 'expired sessions could not be swept'))
      : () => undefined;
  return {
    middleware: [...middleware, provideCsrfToken],
    store,
    cookie: sessionCookieSettings(deps.publicUrl, deps.trustProxy),
    close: stop,
  };
}
