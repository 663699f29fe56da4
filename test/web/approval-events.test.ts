/**
 * The /approvals live stream's own rules, over a real HTTP server with the route alone (the
 * session store and the role check stubbed to what they answer): heartbeats, the debounced
 * wake-up, the bound on open streams, the maximum age (closed without `end`, so the browser
 * reconnects through the session checks), shutdown.
 */
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { approvalEvents, type ApprovalEventsDeps } from '../../src/web/pages/approval-events.ts';
import { openEventStream } from '../support/event-stream.ts';

const servers: Array<{ close(): void }> = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function serve(deps: Partial<ApprovalEventsDeps> & { alive?: () => boolean; allowed?: boolean }) {
  const listeners = new Set<(id: string) => void>();
  let pending = 3;
  const shutdown = new AbortController();
  const app = express();
  app.use((req, _res, next) => {
    Object.assign(req, { sessionID: 'sid', sessionStore: { get: (_sid: string, cb: (err: unknown, data?: unknown) => void) => cb(null, deps.alive?.() === false ? null : { user: { oid: 'u' } }) } });
    next();
  });
  const requireAbility = (): RequestHandler => (_req, res, next) => (deps.allowed === false ? void res.status(403).end() : next());
  app.use(
    '/approvals/events',
    approvalEvents({
      requireAbility,
      subscribe: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      countPending: async () => pending,
      shutdown: shutdown.signal,
      heartbeatMs: 40,
      debounceMs: 20,
      ...deps,
    }),
  );
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  servers.push({ close: () => server.close() });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/approvals/events`;
  return {
    url,
    listeners,
    wake: (n: number) => {
      pending = n;
      for (const l of [...listeners]) l('r');
    },
    shutdown: () => shutdown.abort(),
    cleanup: () => server.closeAllConnections(),
  };
}

describe('GET /approvals/events', () => {
  it('sends the count, heartbeats, and one event per burst of wake-ups', async () => {
    const s = await serve({});
    const stream = await openEventStream(s.url, {});
    expect(stream.status).toBe(200);
    await stream.waitFor((e) => e.event === 'pending' && e.data === '{"pending":3}');
    s.wake(4);
    s.wake(5);
    s.wake(6);
    await stream.waitFor((e) => e.data === '{"pending":6}');
    await new Promise((r) => setTimeout(r, 120));
    expect(stream.events.filter((e) => e.event === 'pending').map((e) => e.data)).toEqual(['{"pending":3}', '{"pending":6}']);
    expect(stream.comments.filter((c) => c === 'heartbeat').length).toBeGreaterThanOrEqual(1);
    stream.close();
    s.cleanup();
  });

  it('refuses as the role check says, and past the bound on open streams', async () => {
    const denied = await serve({ allowed: false });
    expect((await openEventStream(denied.url, {})).status).toBe(403);
    const s = await serve({ maxStreams: 1 });
    const first = await openEventStream(s.url, {});
    expect(first.status).toBe(200);
    const second = await openEventStream(s.url, {});
    expect(second.status).toBe(503);
    first.close();
    s.cleanup();
  });

  it('ends at its maximum age without an end event (the browser reconnects), and unsubscribes', async () => {
    const s = await serve({ maxStreamMs: 150 });
    const stream = await openEventStream(s.url, {});
    await stream.ended;
    expect(stream.events.map((e) => e.event)).toEqual(['pending']);
    expect(s.listeners.size).toBe(0);
  });

  it('ends with a reason when the session is gone, and at shutdown', async () => {
    let alive = true;
    const s = await serve({ alive: () => alive });
    const stream = await openEventStream(s.url, {});
    await stream.waitFor((e) => e.event === 'pending');
    alive = false;
    await stream.ended;
    expect(stream.events.at(-1)).toEqual({ event: 'end', data: '{"reason":"signed-out"}' });

    const t = await serve({});
    const other = await openEventStream(t.url, {});
    await other.waitFor((e) => e.event === 'pending');
    t.shutdown();
    await other.ended;
    expect(other.events.at(-1)).toEqual({ event: 'end', data: '{"reason":"shutdown"}' });
    expect((await openEventStream(t.url, {})).status).toBe(503);
  });
});
