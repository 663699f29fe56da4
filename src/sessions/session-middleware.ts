import type { Request, RequestHandler } from 'express';
import session from 'express-session';
import './session-data.ts';
import { sessionCookieAttributes, sessionCookieSettings } from './session-cookie.ts';
import type { DatabaseSessionStore } from './database-session-store.ts';
import { pastAbsoluteDeadline, type SessionTimeouts } from './session-timeouts.ts';

export interface SessionMiddlewareOptions {
  store: DatabaseSessionStore;
  secret: string;
  publicUrl: string;
  trustProxy: boolean;
  timeouts: SessionTimeouts;
  /** Epoch milliseconds. */
  now: () => number;
  /** Told when a loaded session is past its absolute deadline (for logs and metrics). */
  onExpired?: (ending: 'absolute-timeout', req: Request) => void;
}

/**
 * The browser session: express-session over the SQLite store, then the idle and absolute
 * timeouts. Mount before any route that reads `req.session`; the agent API does not need it.
 */
export function createSessionMiddleware(options: SessionMiddlewareOptions): RequestHandler[] {
  const cookie = sessionCookieSettings(options.publicUrl, options.trustProxy);
  const base = session({
    name: cookie.name,
    secret: options.secret,
    store: options.store,
    resave: false,
    // No row (and no cookie) until something is stored: an anonymous visitor costs nothing.
    saveUninitialized: false,
    // Each response re-issues the cookie, so the browser's copy follows the idle timeout.
    rolling: true,
    unset: 'destroy',
    cookie: { ...sessionCookieAttributes(cookie), maxAge: options.timeouts.idleSeconds * 1000 },
  });
  return [base, enforceTimeouts(options, cookie.name)];
}

/**
 * The idle timeout is the store's: a row left idle has expired, reads as no session, and the
 * request arrives here anonymous. The absolute deadline is checked again on the loaded session,
 * from its immutable sign-in time, so a row whose stored expiry predates a shorter configured
 * limit cannot outlive it. Nothing here writes to the session (see session-timeouts.ts).
 */
function enforceTimeouts(options: SessionMiddlewareOptions, cookieName: string): RequestHandler {
  return (req, res, next) => {
    const user = req.session?.user;
    if (!user) {
      // A session cookie the store no longer knows: the session timed out (or was signed out).
      // A live anonymous session (a sign-in started, or a refusal kept for /auth/refused) is not
      // one that ended: its visitor never signed in.
      if (presentsCookie(req, cookieName) && !carriesData(req)) res.locals.sessionEnded = 'expired';
      return next();
    }
    if (!pastAbsoluteDeadline(user, Math.floor(options.now() / 1000), options.timeouts)) return next();
    options.onExpired?.('absolute-timeout', req);
    // A fresh, empty session: the old row is deleted, and the request goes on as anonymous.
    req.session.regenerate((err) => {
      if (err) return next(err);
      res.locals.sessionEnded = 'absolute-timeout';
      next();
    });
  };
}

/**
 * Whether the session holds anything beyond its cookie. When the store does not know the cookie's
 * session (or knows it only as expired), express-session starts a fresh one that holds nothing
 * else; a live anonymous session holds what it was saved for (a sign-in in flight, a refusal).
 */
function carriesData(req: Request): boolean {
  return req.session !== undefined && Object.keys(req.session).some((key) => key !== 'cookie');
}

function presentsCookie(req: Request, name: string): boolean {
  return (req.get('cookie') ?? '').split(';').some((part) => part.trim().startsWith(`${name}=`));
}
