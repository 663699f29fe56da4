import express from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { csrfProtection, csrfTokenFor } from '../../src/sessions/csrf-protection.ts';
import { createSessions, type Sessions } from '../../src/sessions/sessions.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrations.ts';

let db: Database;
let sessions: Sessions;
let app: express.Express;
let changed: number;

beforeEach(async () => {
  db = await openDatabase(':memory:');
  await migrate(db);
  sessions = createSessions({
    db,
    secret: 'a'.repeat(40),
    publicUrl: 'http://127.0.0.1:3000',
    trustProxy: false,
    timeouts: { idleSeconds: 1800, absoluteSeconds: 28_800 },
    logger: createLogger('silent'),
    sweepIntervalMs: 0,
  });
  changed = 0;
  app = express();
  app.use(...sessions.middleware);
  // Stands in for a page that shows a form: hands out the session's token.
  app.get('/form', (req, res) => {
    res.json({ token: csrfTokenFor(req) });
  });
  app.post('/change', csrfProtection((_req, res) => res.status(403).json({ error: 'csrf' })), (_req, res) => {
    changed += 1;
    res.json({ ok: true });
  });
});
afterEach(async () => {
  sessions.close();
  await db.close();
});

describe('csrfProtection', () => {
  it('accepts a form post carrying the session token', async () => {
    const agent = request.agent(app);
    const { token } = (await agent.get('/form').expect(200)).body as { token: string };
    await agent.post('/change').type('form').send({ _csrf: token }).expect(200);
    expect(changed).toBe(1);
  });

  it('accepts the token in the X-CSRF-Token header', async () => {
    const agent = request.agent(app);
    const { token } = (await agent.get('/form').expect(200)).body as { token: string };
    await agent.post('/change').set('X-CSRF-Token', token).expect(200);
    expect(changed).toBe(1);
  });

  it('refuses a post without a token, and changes nothing', async () => {
    const agent = request.agent(app);
    await agent.get('/form').expect(200);
    await agent.post('/change').type('form').send({ other: 'x' }).expect(403);
    expect(changed).toBe(0);
  });

  it('refuses a wrong token of the same length', async () => {
    const agent = request.agent(app);
    const { token } = (await agent.get('/form').expect(200)).body as { token: string };
    const wrong = (token[0] === 'A' ? 'B' : 'A') + token.slice(1);
    await agent.post('/change').type('form').send({ _csrf: wrong }).expect(403);
    expect(changed).toBe(0);
  });

  it("refuses another session's token (a token is bound to its session)", async () => {
    const attacker = request.agent(app);
    const { token } = (await attacker.get('/form').expect(200)).body as { token: string };
    const victim = request.agent(app);
    await victim.get('/form').expect(200);
    await victim.post('/change').type('form').send({ _csrf: token }).expect(403);
    expect(changed).toBe(0);
  });

  it('refuses a post with no session at all', async () => {
    await request(app).post('/change').type('form').send({ _csrf: 'anything' }).expect(403);
    expect(changed).toBe(0);
  });

  it('refuses an array smuggled in place of the token', async () => {
    const agent = request.agent(app);
    const { token } = (await agent.get('/form').expect(200)).body as { token: string };
    await agent.post('/change').type('form').send(`_csrf=${token}&_csrf=${token}`).expect(403);
    expect(changed).toBe(0);
  });
});
