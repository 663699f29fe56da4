/**
 * The session store over the `sessions` table, on whichever engine the lane selects
 * (test/support/test-store.ts): despite its name it is the store both engines use.
 */
import type { SessionData } from 'express-session';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/database.ts';
import { SessionContainsTokenError, DatabaseSessionStore } from '../../src/sessions/database-session-store.ts';
import type { SessionUser } from '../../src/sessions/session-data.ts';
import { fakeJwt } from '../support/fake-jwt.ts';
import { openTestStore } from '../support/test-store.ts';

const timeouts = { idleSeconds: 1800, absoluteSeconds: 28_800 };
let db: Database;
let nowMs: number;
let store: DatabaseSessionStore;

const cookie = { originalMaxAge: 1_800_000, httpOnly: true, path: '/' } as SessionData['cookie'];
const user: SessionUser = {
  oid: '60ca6263-4c86-46fc-b376-b14ef1e7ff91',
  tid: '26d07dfe-13eb-44c6-bbdf-5d359fd60c0c',
  upn: 'ada.admin@contoso-sre.onmicrosoft.com',
  name: 'Ada Admin',
  roles: ['administrator'],
  authTime: 1_000_000,
  signedInAt: 1_000_000,
};

function call<T>(fn: (cb: (err: unknown, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}
const get = (sid: string) => call<SessionData | null>((cb) => store.get(sid, cb));
const set = (sid: string, sess: SessionData) => call<void>((cb) => store.set(sid, sess, cb));

beforeEach(async () => {
  db = await openTestStore(':memory:', 'elevate_sessions');
  nowMs = 1_000_000 * 1000;
  store = new DatabaseSessionStore({ sql: db, timeouts, now: () => nowMs });
});
afterEach(async () => {
  await db.close();
});

describe('DatabaseSessionStore', () => {
  it('round-trips a session', async () => {
    await set('sid-1', { cookie, user, csrfToken: 'c' });
    expect(await get('sid-1')).toMatchObject({ user, csrfToken: 'c' });
  });

  it('returns nothing for an unknown sid', async () => {
    expect(await get('nope')).toBeNull();
  });

  it('stops returning a session once idle, and does not let touch revive it', async () => {
    await set('sid-1', { cookie, user });
    nowMs += 1800 * 1000;
    expect(await get('sid-1')).toBeNull();
    await call<void>((cb) => store.touch('sid-1', { cookie, user }, () => cb(null)));
    expect(await get('sid-1')).toBeNull();
  });

  it('says why a signed-in session it finds expired ended: idle, or past the absolute deadline', async () => {
    const endings: Array<[string, string]> = [];
    store = new DatabaseSessionStore({ sql: db, timeouts, now: () => nowMs, onExpired: (ending, u) => endings.push([ending, u.oid]) });
    await set('idle', { cookie, user });
    nowMs += 1800 * 1000;
    expect(await get('idle')).toBeNull();
    for (let t = 0; t < 28_800; t += 1200) {
      nowMs = (user.signedInAt + t) * 1000;
      await set('busy', { cookie, user });
    }
    nowMs = (user.signedInAt + 28_800) * 1000;
    expect(await get('busy')).toBeNull();
    // A sign-in in flight (no user yet) that lapses is nobody's session ending.
    await set('anonymous', { cookie });
    nowMs += 1800 * 1000;
    expect(await get('anonymous')).toBeNull();
    expect(endings).toEqual([
      ['idle-timeout', user.oid],
      ['absolute-timeout', user.oid],
    ]);
  });

  it('deletes an expired row the moment it is looked up', async () => {
    await set('sid-1', { cookie, user });
    nowMs += 1800 * 1000;
    expect(await get('sid-1')).toBeNull();
    expect(await db.get('SELECT sid FROM sessions WHERE sid = ?', ['sid-1'])).toBeUndefined();
  });

  it('keeps a touched session alive past the first idle deadline', async () => {
    await set('sid-1', { cookie, user });
    nowMs += 1000 * 1000;
    await call<void>((cb) => store.touch('sid-1', { cookie, user }, () => cb(null)));
    nowMs += 1000 * 1000;
    expect(await get('sid-1')).not.toBeNull();
  });

  it('never keeps a signed-in session past its absolute deadline, however often it is written', async () => {
    for (let t = 0; t < 28_800; t += 1200) {
      nowMs = (user.signedInAt + t) * 1000;
      await set('sid-1', { cookie, user });
    }
    nowMs = (user.signedInAt + 28_800) * 1000;
    expect(await get('sid-1')).toBeNull();
  });

  it('sweeps expired rows and leaves live ones', async () => {
    await set('old', { cookie });
    nowMs += 1000 * 1000;
    await set('new', { cookie });
    nowMs += 900 * 1000;
    expect(await store.sweep()).toBe(1);
    const rows = await db.all<{ sid: string }>('SELECT sid FROM sessions');
    expect(rows.map((r) => r.sid)).toEqual(['new']);
  });

  it('destroys a session', async () => {
    await set('sid-1', { cookie, user });
    await call<void>((cb) => store.destroy('sid-1', cb));
    expect(await get('sid-1')).toBeNull();
  });

  it('refuses to write a session that contains a JWT and leaves the old row as it was', async () => {
    await set('sid-1', { cookie, user });
    const jwt = fakeJwt({ sub: 'ada' });
    const poisoned = { cookie, user, smuggled: jwt } as unknown as SessionData;
    await expect(set('sid-1', poisoned)).rejects.toBeInstanceOf(SessionContainsTokenError);
    const row = await db.get<{ data: string }>('SELECT data FROM sessions WHERE sid = ?', ['sid-1']);
    expect(row?.data).not.toContain('eyJ');
  });

  it('treats a corrupt row as no session', async () => {
    await db.run('INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)', ['bad', '{not json', 9_999_999_999]);
    expect(await get('bad')).toBeNull();
  });

  it('counts live sessions only', async () => {
    await set('a', { cookie });
    await set('b', { cookie });
    nowMs += 1800 * 1000;
    await set('c', { cookie });
    expect(await call<number>((cb) => store.length(cb))).toBe(1);
  });
});
