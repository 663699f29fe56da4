import session from 'express-session';
import type { SessionData } from 'express-session';
import { sessionEnding, sessionExpiresAt, type SessionEnding, type SessionTimeouts } from './session-timeouts.ts';
import type { Queryable } from '../store/database.ts';

/** The slice of the project's store the session store uses. */
export type SessionSql = Pick<Queryable, 'run' | 'get'>;

/** Anything shaped like a JWT. A session must never hold one; see `set`. */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\./;

export class SessionContainsTokenError extends Error {
  override name = 'SessionContainsTokenError';
  constructor() {
    super('refused to store a session that contains a token');
  }
}

export interface DatabaseSessionStoreOptions {
  sql: SessionSql;
  timeouts: SessionTimeouts;
  /** Epoch milliseconds; injected so tests can move time. */
  now: () => number;
  /** Told when a read finds a signed-in session's row expired, and why (for logs and metrics). */
  onExpired?: (ending: SessionEnding, user: { oid: string }) => void;
}

type Callback = (err?: unknown) => void;

/**
 * express-session store over the `sessions` table (migrations/002_sessions.sql, and its
 * PostgreSQL twin), through the storage port: on PostgreSQL every instance reads the same
 * sessions, so a browser can land on any of them (issue 16).
 * Expiry is computed here from the session's own sign-in time rather than from the cookie, so
 * the absolute timeout holds even if a client keeps presenting an old cookie.
 */
export class DatabaseSessionStore extends session.Store {
  readonly #sql: SessionSql;
  readonly #timeouts: SessionTimeouts;
  readonly #now: () => number;
  readonly #onExpired: DatabaseSessionStoreOptions['onExpired'];

  constructor(options: DatabaseSessionStoreOptions) {
    super();
    this.#sql = options.sql;
    this.#timeouts = options.timeouts;
    this.#now = options.now;
    this.#onExpired = options.onExpired;
  }

  #nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  #expiresAt(sess: SessionData): number {
    return sessionExpiresAt({ signedInAt: sess.user?.signedInAt }, this.#nowSeconds(), this.#timeouts);
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    this.#read(sid).then((session) => callback(null, session), callback);
  }

  async #read(sid: string): Promise<SessionData | null> {
    const row = await this.#sql.get<{ data: string; expires_at: number }>('SELECT data, expires_at FROM sessions WHERE sid = ?', [sid]);
    if (!row) return null;
    const session = parsed(row.data);
    if (row.expires_at <= this.#nowSeconds()) {
      // Expired: gone at first sight rather than at the next sweep.
      await this.#sql.run('DELETE FROM sessions WHERE sid = ? AND expires_at <= ?', [sid, this.#nowSeconds()]);
      const user = session?.user;
      if (user) this.#onExpired?.(sessionEnding(user, this.#nowSeconds(), this.#timeouts), user);
      return null;
    }
    return session;
  }

  override set(sid: string, sess: SessionData, callback?: Callback): void {
    const data = JSON.stringify(sess);
    // Defence in depth: the code never puts a token in a session; if a change ever does, fail
    // the request instead of writing the token to disk.
    if (JWT_SHAPE.test(data)) {
      callback?.(new SessionContainsTokenError());
      return;
    }
    this.#sql
      .run(
        `INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
        [sid, data, this.#expiresAt(sess)],
      )
      .then(() => callback?.(), (err: unknown) => callback?.(err));
  }

  override touch(sid: string, sess: SessionData, callback?: () => void): void {
    // Only a row that is still live is extended: touching must not revive an expired session.
    this.#sql
      .run('UPDATE sessions SET expires_at = ? WHERE sid = ? AND expires_at > ?', [this.#expiresAt(sess), sid, this.#nowSeconds()])
      .then(() => callback?.(), (err: unknown) => (callback as Callback | undefined)?.(err));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.#sql.run('DELETE FROM sessions WHERE sid = ?', [sid]).then(() => callback?.(), (err: unknown) => callback?.(err));
  }

  override clear(callback?: Callback): void {
    this.#sql.run('DELETE FROM sessions', []).then(() => callback?.(), (err: unknown) => callback?.(err));
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    this.#sql
      .get<{ n: number }>('SELECT COUNT(*) AS n FROM sessions WHERE expires_at > ?', [this.#nowSeconds()])
      .then((row) => callback(null, row?.n ?? 0), callback);
  }

  /** Deletes expired rows; returns how many went. */
  async sweep(): Promise<number> {
    const { changes } = await this.#sql.run('DELETE FROM sessions WHERE expires_at <= ?', [this.#nowSeconds()]);
    return changes;
  }

  /** Sweeps every `intervalMs` until the returned function is called. The timer never holds the process open. */
  startSweeping(intervalMs: number, onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => {
      this.sweep().catch(onError);
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** A corrupt row is treated as no session rather than an error page. */
function parsed(data: string): SessionData | null {
  try {
    return JSON.parse(data) as SessionData;
  } catch {
    return null;
  }
}
