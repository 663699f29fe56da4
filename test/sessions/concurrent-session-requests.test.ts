/**
 * Two requests of one browser in flight at once: one stores something in the session while the
 * other, which changes nothing, finishes later. The later one must not save its stale copy over
 * the first's write. It did when each request stamped the session with the second it was seen
 * (the idle clock): crossing a second boundary made the idle request's copy "modified", and a
 * refused double-click on Approve wiped the sign-in the first click had just started.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/database.ts';
import { DatabaseSessionStore } from '../../src/sessions/database-session-store.ts';
import { createSessionMiddleware } from '../../src/sessions/session-middleware.ts';
import { openTestStore } from '../support/test-store.ts';

const timeouts = { idleSeconds: 600, absoluteSeconds: 3600 };
let db: Database;
let server: Server;
let base: string;
let nowMs: number;
let enteredSlow: () => void;
let releaseSlow: () => void;

function gate(): { entered: Promise<void>; released: Promise<void> } {
  const entered = new Promise<void>((resolve) => (enteredSlow = resolve));
  const released = new Promise<void>((resolve) => (releaseSlow = resolve));
  return { entered, released };
}
let current = gate();

beforeEach(async () => {
  db = await openTestStore(':memory:', 'elevate_concurrent_sessions');
  nowMs = Date.UTC(2026, 11, 7, 10, 0, 0, 900);
  const now = () => nowMs;
  const store = new DatabaseSessionStore({ sql: db, timeouts, now });
  const app = express();
  app.use(createSessionMiddleware({ store, secret: 'a-test-secret-of-enough-length-0123456789', publicUrl: 'http://127.0.0.1', trustProxy: false, timeouts, now }));
  app.post('/sign-in', (req, res) => {
    const signedInAt = Math.floor(nowMs / 1000);
    req.session.user = { oid: 'o', tid: 't', upn: 'ada@contoso.example', name: 'Ada', roles: ['administrator'], authTime: signedInAt, signedInAt };
    res.sendStatus(204);
  });
  app.get('/slow', async (_req, res) => {
    enteredSlow();
    await current.released;
    res.sendStatus(204);
  });
  app.post('/write', (req, res) => {
    req.session.csrfToken = 'stored-by-the-quicker-request';
    res.sendStatus(204);
  });
  app.get('/read', (req, res) => {
    res.json({ signedIn: Boolean(req.session.user), csrfToken: req.session.csrfToken ?? null });
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  current = gate();
});
afterEach(async () => {
  releaseSlow();
  await new Promise((resolve) => server.close(resolve));
  await db.close();
});

describe('concurrent requests of one session', () => {
  it('keep what the quicker one stored when the slower, unchanged one finishes across a second boundary', async () => {
    const browser = request.agent(base);
    expect((await browser.post('/sign-in')).status).toBe(204);

    nowMs += 1000;
    const slow = browser.get('/slow').then((r) => r.status);
    await current.entered;
    nowMs += 1000;
    expect((await browser.post('/write')).status).toBe(204);
    releaseSlow();
    expect(await slow).toBe(204);

    expect((await browser.get('/read')).body).toEqual({ signedIn: true, csrfToken: 'stored-by-the-quicker-request' });
  });

  it('still extend the idle deadline: a session used within the idle period stays signed in', async () => {
    const browser = request.agent(base);
    await browser.post('/sign-in');
    for (let i = 0; i < 3; i++) {
      nowMs += (timeouts.idleSeconds - 1) * 1000;
      expect((await browser.get('/read')).body.signedIn).toBe(true);
    }
    nowMs += timeouts.idleSeconds * 1000;
    expect((await browser.get('/read')).body.signedIn).toBe(false);
  });
});
