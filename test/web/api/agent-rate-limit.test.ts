/**
 * Issue 11 item 8: the agent API had no rate limit (12,000 calls, no 429). Each agent now has a
 * limit from rate-limits.yaml (or the deployment's default); over it the call is answered 429 with
 * Retry-After before any work, audited through the refusal-collapsing sink (the first refusal
 * appended, the rest of the minute one `refusal.repeated` with the count), and other agents are
 * not affected.
 */
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collapsingAudit, createRefusalRecorder, REFUSAL_REPEATED, type RefusalRecorder } from '../../../src/audit/audit-refusals.ts';
import type { Policies } from '../../../src/policies/policies.ts';
import { agentRateLimit, API_RATE_LIMITED } from '../../../src/web/api/agent-rate-limit.ts';
import { policiesWithRunModes } from '../../operations/support/operation-fixtures.ts';
import { createApiHarness, TEST_RUN_MODES, type ApiHarness } from './support/api-harness.ts';

const READER_LIMIT = 5;
let h: ApiHarness;
let recorder: RefusalRecorder;
let readerToken: string;
let privilegedToken: string;

beforeAll(async () => {
  const base = policiesWithRunModes(TEST_RUN_MODES);
  // Only the seeded reader agent is named; the privileged agent gets the default.
  const policies: Policies = { ...base, rateLimits: { agentApi: { requestsPerMinute: 1000, agents: { 'SRE-AGENT': { requestsPerMinute: READER_LIMIT } } } } };
  h = await createApiHarness({
    policies,
    refusalAudit: (auditLog) => {
      recorder = createRefusalRecorder(auditLog, () => new Date());
      return collapsingAudit(auditLog, recorder);
    },
  });
  expect(h.readerAgent.name.toLowerCase()).toBe('sre-agent');
  [readerToken, privilegedToken] = await Promise.all([h.tokenFor(h.readerAgent), h.tokenFor(h.privilegedAgent)]);
});

afterAll(async () => {
  await h?.close();
});

const list = (token: string) => request(h.app).get('/api/v1/operations').set('Authorization', `Bearer ${token}`);
const entries = async (eventType: string) => (await h.db.all<{ details: string; actor_id: string }>('SELECT details, actor_id FROM audit_log WHERE event_type = ?', [eventType])).map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
const decisionsCounted = async () => (await h.metrics.decisions.get()).values.reduce((n, v) => n + v.value, 0);

describe('per-agent rate limit on the agent API', () => {
  it('answers the calls over the limit with 429 and Retry-After, audits them once per minute with a count, and spares other agents', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < READER_LIMIT + 20; i++) statuses.push((await list(readerToken)).status);
    expect(statuses.slice(0, READER_LIMIT)).toEqual(Array(READER_LIMIT).fill(200));
    expect(statuses.slice(READER_LIMIT)).toEqual(Array(20).fill(429));

    const refused = await list(readerToken);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 0 && retryAfter <= 60).toBe(true);
    expect(refused.headers['cache-control']).toContain('no-store');
    expect(refused.body).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining(`${READER_LIMIT} calls per minute`) } });

    // Another agent is not affected by the reader's flood.
    expect((await list(privilegedToken)).status).toBe(200);

    // One entry at once; the other 20 are counted and flushed as one refusal.repeated.
    const first = await entries(API_RATE_LIMITED);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ actor_id: h.readerAgent.id, details: { reason: 'rate_limited', requestsPerMinute: READER_LIMIT } });
    expect(await entries(REFUSAL_REPEATED)).toHaveLength(0);
    await recorder.flush();
    const repeated = await entries(REFUSAL_REPEATED);
    expect(repeated).toHaveLength(1);
    expect(repeated[0]).toMatchObject({ actor_id: h.readerAgent.id, details: { repeatedEventType: API_RATE_LIMITED, count: 20 } });
  });

  it('refuses over the limit before any work: no decision is made or counted, nothing is stored', async () => {
    const before = await decisionsCounted();
    const requestsBefore = (await h.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM operation_requests'))!.n;
    const body = { method: 'GET', path: h.readerAgent.resourceGroupIds[0], apiVersion: '2021-04-01', trigger: { kind: 'chat' }, idempotencyKey: 'rate-limited-1' };
    const decide = await request(h.app).post('/api/v1/decisions').set('Authorization', `Bearer ${readerToken}`).send(body);
    const submit = await request(h.app).post('/api/v1/operations').set('Authorization', `Bearer ${readerToken}`).send(body);
    // A malformed body is refused by the limit too, not audited as bad input.
    const malformed = await request(h.app).post('/api/v1/operations').set('Authorization', `Bearer ${readerToken}`).set('Content-Type', 'application/json').send('{"no');
    expect([decide.status, submit.status, malformed.status]).toEqual([429, 429, 429]);
    expect(await decisionsCounted()).toBe(before);
    expect((await h.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM operation_requests'))!.n).toBe(requestsBefore);
    expect(await entries('operation.decided')).toHaveLength(0);
    expect(await entries('operation.refused')).toHaveLength(0);
  });

  it('does not let an unauthenticated caller spend an agent\'s budget', async () => {
    expect((await request(h.app).get('/api/v1/operations').set('Authorization', 'Bearer not-a-token')).status).toBe(401);
    expect((await list(privilegedToken)).status).toBe(200);
  });
});

describe('per-agent rate limit: its window and policy (clock injected)', () => {
  function limited(requestsPerMinute: () => number) {
    let t = 1_000_000;
    const audited: string[] = [];
    const app = express();
    app.use((req, res, next) => {
      res.locals.agent = { id: String(req.headers['x-agent']), name: String(req.headers['x-agent']) };
      next();
    });
    app.use(
      agentRateLimit({
        policy: () => ({ agentApi: { requestsPerMinute: requestsPerMinute() } }),
        audit: { append: async (input) => void audited.push(`${input.agentId}:${String(input.details?.requestsPerMinute)}`) },
        now: () => t,
      }),
    );
    app.get('/', (_req, res) => void res.json({ ok: true }));
    return { app, audited, advance: (ms: number) => (t += ms) };
  }
  const call = (app: express.Express, agent = 'a1') => request(app).get('/').set('x-agent', agent);

  it('counts every call in a minute-long window from the first, refused ones too, and opens a new window after it', async () => {
    const { app, audited, advance } = limited(() => 2);
    const first = await call(app);
    expect(first.headers['ratelimit-policy']).toBe('"agent"; q=2; w=60');
    expect(first.headers.ratelimit).toBe('"agent"; r=1; t=60');
    expect((await call(app)).status).toBe(200);
    advance(59_000);
    const refused = await call(app);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers.ratelimit).toBe('"agent"; r=0; t=1');
    expect((await call(app, 'a2')).status).toBe(200);
    expect(audited).toEqual(['a1:2']);
    advance(1_000);
    expect((await call(app)).status).toBe(200);
  });

  it('applies a changed policy on the next call, inside the current window', async () => {
    let limit = 1;
    const { app } = limited(() => limit);
    expect((await call(app)).status).toBe(200);
    expect((await call(app)).status).toBe(429);
    limit = 5;
    expect((await call(app)).status).toBe(200);
    limit = 1;
    expect((await call(app)).status).toBe(429);
  });
});
