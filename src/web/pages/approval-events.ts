/**
 * GET /approvals/events: the /approvals page's live stream (Server-Sent Events,
 * https://html.spec.whatwg.org/multipage/server-sent-events.html). Same session and role check as
 * the page (Approval:read). Woken by the request notifier (a new request, any state change), never
 * by polling: each wake-up sends the pending count, debounced so a burst of changes is one event.
 * A comment line every `heartbeatMs` keeps proxies from closing an idle stream, and each one also
 * re-reads the session: after sign-out the stream ends. Shutdown ends every stream; so does its
 * maximum age, after which the browser reconnects through the session's timeouts again.
 * The number of open streams is bounded; past it the answer is 503 and the page keeps working
 * without live updates.
 */
import { Router, type Request, type RequestHandler } from 'express';
import type { AppAction, AppSubject } from '../../access/app-permissions.ts';

export interface ApprovalEventsDeps {
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
  /** Wakes on a request change (no id: changes may have been missed); either way the count is re-read. */
  subscribe(listener: (requestId?: string) => void): () => void;
  countPending(): Promise<number>;
  /** aborted when the service stops */
  shutdown: AbortSignal;
  heartbeatMs?: number;
  debounceMs?: number;
  maxStreams?: number;
  /**
   * A stream is closed after this long (default 10 min) without an `end` event: the browser
   * reconnects, and the reconnect passes the session middleware's idle and absolute timeouts
   * again. (It does not count as activity: the stream never saves the session.)
   */
  maxStreamMs?: number;
}

/** Whether the request's session still holds a signed-in user (read from the session store). */
function sessionAlive(req: Request): Promise<boolean> {
  return new Promise((resolve) => {
    const store = req.sessionStore;
    if (!store || !req.sessionID) return resolve(false);
    store.get(req.sessionID, (err, data) => resolve(!err && Boolean((data as { user?: unknown } | null | undefined)?.user)));
  });
}

export function approvalEvents(deps: ApprovalEventsDeps): Router {
  const router = Router();
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const debounceMs = deps.debounceMs ?? 100;
  const maxStreams = deps.maxStreams ?? 200;
  let open = 0;

  router.get('/', deps.requireAbility('read', 'Approval'), (req, res) => {
    if (deps.shutdown.aborted || open >= maxStreams) {
      res.status(503).set('Retry-After', '30').json({ error: 'unavailable', message: 'live updates are unavailable; reload the page to see changes' });
      return;
    }
    open += 1;
    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    // The stream outlives its request: express-session would save `req.session` when the stream
    // ends, writing back a session signed out (destroyed) meanwhile. So this response never saves
    // it (the session is only read again, from the store: sessionAlive). Not by unsetting
    // req.session: with `unset: 'destroy'` (sessions/session-middleware.ts) that would destroy
    // the live session whenever the page is left.
    const streamSession = req.session as unknown as { save?: (cb?: (err?: unknown) => void) => unknown } | undefined;
    if (streamSession) {
      streamSession.save = function (this: unknown, cb?: (err?: unknown) => void) {
        cb?.();
        return this;
      };
    }
    let closed = false;
    let pendingWake: NodeJS.Timeout | undefined;

    const send = async () => {
      if (closed) return;
      const [alive, pending] = await Promise.all([sessionAlive(req), deps.countPending()]).catch(() => [true, undefined] as const);
      if (closed) return;
      if (!alive) return end('signed-out');
      if (pending !== undefined) res.write(`event: pending\ndata: ${JSON.stringify({ pending })}\n\n`);
    };
    const unsubscribe = deps.subscribe(() => {
      if (pendingWake || closed) return;
      pendingWake = setTimeout(() => {
        pendingWake = undefined;
        void send();
      }, debounceMs);
    });
    const heartbeat = setInterval(() => {
      void sessionAlive(req).then((alive) => {
        if (closed) return;
        if (!alive) end('signed-out');
        else res.write(': heartbeat\n\n');
      });
    }, heartbeatMs);
    heartbeat.unref();
    const maxAge = setTimeout(() => end(), deps.maxStreamMs ?? 10 * 60_000);
    maxAge.unref();

    /** Says why before ending, so the page stops instead of reconnecting. */
    function end(why?: 'signed-out' | 'shutdown') {
      if (closed) return;
      if (why && !res.writableEnded) res.write(`event: end\ndata: ${JSON.stringify({ reason: why })}\n\n`);
      closed = true;
      open -= 1;
      unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(maxAge);
      clearTimeout(pendingWake);
      deps.shutdown.removeEventListener('abort', onShutdown);
      res.end();
    }
    const onShutdown = () => end('shutdown');
    deps.shutdown.addEventListener('abort', onShutdown, { once: true });
    req.on('close', () => end());
    // The browser reconnects after this many ms if the stream drops (a restart, a proxy).
    res.write('retry: 5000\n\n');
    void send();
  });
  return router;
}
