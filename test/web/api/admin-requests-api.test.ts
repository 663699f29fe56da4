/**
 * The administrator API (/api/v1/requests) against the real web app and a private sandbox: who is
 * refused (each a clear 4xx, nothing changed, the refusal audited), consent and denial with an
 * administrator's device-code token, and an elevation completed with a fresh token bound to a
 * single-use attempt: a stale token, a second completion and a changed operation are refused; under a
 * Conditional Access policy, Entra's claims challenge is relayed as a 401 insufficient_claims.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../src/audit/audit-types.ts';
import { startApprovalHarness, type ApprovalHarness } from '../../approvals/support/approval-harness.ts';
import { restartCheckout, restartPayments } from '../../approvals/support/approval-steps.ts';
import { Validator } from '@seriousme/openapi-schema-validator';
import { buildOpenApiDocument } from '../../../src/web/api/openapi.ts';
import { readClaimsChallenge } from '../../../src/web/api/claims-challenge-header.ts';
import { deletePolicy, putMfaPolicy } from '../../support/sandbox-conditional-access.ts';
import { deviceCodeToken } from '../../support/device-code-token.ts';
import { openApiResponseChecker } from './support/openapi-responses.ts';

let h: ApprovalHarness;
const doc = buildOpenApiDocument() as Parameters<typeof openApiResponseChecker>[0];
const checker = openApiResponseChecker(doc);

/** The documented path of a call under /requests. */
function templateOf(path: string): string | undefined {
  if (path === '') return '/requests';
  const m = /^\/([A-Za-z0-9-]{1,64})(\/approve|\/approve\/elevation|\/deny)?$/.exec(path);
  return m ? `/requests/{id}${m[2] ?? ''}` : undefined;
}
const tokens = new Map<string, string>();

beforeAll(async () => {
  h = await startApprovalHarness({ deviceCodeIntervalSeconds: 1 });
  const users = ['admin', 'admin2', 'standard', 'personal', 'guest', 'norole'];
  const got = await Promise.all(users.map((u) => deviceCodeToken(h.sandbox, u)));
  users.forEach((u, i) => tokens.set(u, got[i]!));
  // a token for another audience (Microsoft Graph), through the same public client
  tokens.set('graph', await deviceCodeToken(h.sandbox, 'admin', 'User.Read'));
}, 120_000);

afterAll(async () => {
  await h?.close();
});

async function call(method: 'GET' | 'POST', path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${h.url}/api/v1/requests${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const out = { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
  // every answer of a documented route matches the OpenAPI document
  const template = templateOf(path);
  if (template && doc.paths[template]?.[method.toLowerCase()]) checker.check(method, template, out.status, out.body);
  return out;
}

const historyOf = async (id: string): Promise<AuditEntry[]> => [...(await h.audit.list({ requestId: id }, { limit: 500 })).entries].reverse();
const refusals = async () => (await h.audit.list({ eventType: 'api.auth.refused' }, { limit: 500 })).entries;

describe('OpenAPI document', () => {
  it('stays a valid OpenAPI 3.1 document with the administrator paths added', async () => {
    const result = await new Validator().validate(JSON.parse(JSON.stringify(doc)));
    expect(result.errors ?? []).toEqual([]);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/operations', '/requests', '/requests/{id}', '/requests/{id}/approve', '/requests/{id}/approve/elevation', '/requests/{id}/deny']));
  });
});

describe('administrator API: who is refused', { timeout: 60_000 }, () => {
  it('refuses every caller that is not an administrator with a delegated token, changes nothing, and audits each refusal', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    expect(raised.state).toBe('pending_elevation');
    const agentToken = await (await import('../../approvals/support/approval-sandbox.ts')).imdsCredential(h.sandbox.origin, h.readerAgent.uamiClientId).getToken(`${h.sandbox.tenant.elevateApp.apiAudience}/.default`);
    const cases: Array<[string, string | undefined, number, string, Record<string, string>?]> = [
      ['no token', undefined, 401, 'unauthorized'],
      ['not a bearer header', undefined, 401, 'invalid_token', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
      ['app-only token (the agent)', agentToken!.token, 403, 'not_delegated'],
      ['Standard User', tokens.get('standard'), 403, 'not_administrator'],
      ['personal account invited as a guest, with the Administrator role', tokens.get('personal'), 403, 'personal-account'],
      ['B2B guest with the Administrator role', tokens.get('guest'), 403, 'guest-account'],
      ['no role at all', tokens.get('norole'), 403, 'no-role'],
      ['token for another audience', tokens.get('graph'), 401, 'invalid_token'],
    ];
    const before = (await refusals()).length;
    for (const [label, token, status, code, headers] of cases) {
      for (const [method, path, body] of [
        ['GET', '', undefined],
        ['GET', `/${raised.id}`, undefined],
        ['POST', `/${raised.id}/approve`, { reason: 'ok' }],
        ['POST', `/${raised.id}/approve/elevation`, { operationHash: raised.operationHash }],
        ['POST', `/${raised.id}/deny`, { reason: 'no' }],
      ] as const) {
        const res = await call(method, path, token, body, headers);
        expect(res.status, `${label}: ${method} ${path}`).toBe(status);
        expect(res.body.error.code, label).toBe(code);
        expect(res.body.items, label).toBeUndefined();
        if (status === 401) expect(res.headers.get('www-authenticate'), label).toMatch(/^Bearer realm="elevate"/);
        expect(JSON.stringify(res.body)).not.toContain(raised.operation.path);
      }
    }
    // nothing changed
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
    expect(await h.executions(raised.id)).toBe(0);
    expect(h.exchangeCount()).toBe(0);
    expect((await historyOf(raised.id)).map((e) => e.eventType)).not.toContain('approval.sign-in.started');
    // every refusal audited, with who was refused when the token said
    const audited = (await refusals()).slice(0, (await refusals()).length - before);
    expect(audited.length).toBe(cases.length * 5);
    const reasons = new Set(audited.map((e) => e.details.reason));
    for (const [, , , code] of cases) expect(reasons.has(code)).toBe(true);
    const standard = audited.find((e) => e.details.reason === 'not_administrator')!;
    expect(standard.actor.id).toBe(h.user('standard').oid);
    expect(standard.details.clientAppId).toBe(h.sandbox.tenant.cliApp!.clientId);
    // no token is ever in an audit entry
    expect(JSON.stringify(audited)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it('answers malformed JSON and unknown routes with a 4xx that changes nothing', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const bad = await fetch(`${h.url}/api/v1/requests/${raised.id}/deny`, { method: 'POST', headers: { authorization: `Bearer ${tokens.get('admin')}`, 'content-type': 'application/json' }, body: '{"reason":' });
    expect(bad.status).toBe(400);
    expect((await call('POST', `/${raised.id}/deny`, tokens.get('admin'), undefined, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await call('GET', `/${raised.id}/nothing`, tokens.get('admin'))).status).toBe(404);
    expect((await call('GET', '/..%2F..%2Foperations', tokens.get('admin'))).status).toBe(404);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
  });
});

describe('administrator API: decisions', { timeout: 90_000 }, () => {
  it('lists and shows pending requests to an administrator', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const list = await call('GET', '', tokens.get('admin'));
    expect(list.status).toBe(200);
    expect(list.body.items.find((r: { id: string }) => r.id === raised.id)).toMatchObject({ state: 'pending_elevation', kind: 'elevation', operation: { method: 'POST', path: raised.operation.path } });
    const show = await call('GET', `/${raised.id}`, tokens.get('admin'));
    expect(show.body).toMatchObject({ id: raised.id, operationHash: raised.operationHash, required: 1, approvals: [] });
    expect(show.body.history.map((e: { eventType: string }) => e.eventType)).toContain('operation.requested');
    expect((await call('GET', '/no-such-request', tokens.get('admin'))).status).toBe(404);
  });

  it('approves a consent with the administrator token alone (no fresh sign-in, as in the browser)', async () => {
    const raised = await h.submit(h.privilegedAgent, restartPayments(h));
    expect(raised.state).toBe('pending_consent');
    const res = await call('POST', `/${raised.id}/approve`, tokens.get('admin'), { reason: 'payments restart ok' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'executed', state: 'succeeded' });
    expect(await h.executions(raised.id)).toBe(1);
    expect((await call('POST', `/${raised.id}/approve`, tokens.get('admin2'), { reason: 'again' })).status).toBe(409);
  });

  it('denies with a reason the agent reads; a denial without a reason is refused', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    expect((await call('POST', `/${raised.id}/deny`, tokens.get('admin'), {})).status).toBe(400);
    // A NUL (which PostgreSQL text cannot hold) or a bidi override in the reason: a 400 that changes nothing, on either engine.
    for (const reason of ['no\u0000', 'fine \u202edeined']) {
      const bad = await call('POST', `/${raised.id}/deny`, tokens.get('admin'), { reason });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('reason_invalid');
      expect(await h.agentGet(h.readerAgent, raised.id)).toMatchObject({ state: 'pending_elevation' });
    }
    const res = await call('POST', `/${raised.id}/deny`, tokens.get('admin'), { reason: 'not during the freeze' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'denied', state: 'denied', reason: 'not during the freeze' });
    const seen = await h.agentGet(h.readerAgent, raised.id);
    expect(seen).toMatchObject({ state: 'denied', stateReason: 'not during the freeze' });
    expect(await h.executions(raised.id)).toBe(0);
  });

  it('runs an elevation once, only with a fresh token minted inside the attempt; stale, repeated and changed approvals are refused', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const exchangesBefore = h.exchangeCount();

    // A token minted before the attempt (Elevate's clock is ahead by more than the skew allowance).
    h.skewApprovalClock(180);
    let opened: Awaited<ReturnType<typeof call>>;
    try {
      opened = await call('POST', `/${raised.id}/approve`, tokens.get('admin'), { reason: 'INC-1042 restart' });
      expect(opened.status, JSON.stringify(opened.body)).toBe(202);
      expect(opened.body).toMatchObject({ outcome: 'fresh_sign_in_required', requestId: raised.id, operationHash: raised.operationHash });
      expect(Date.parse(opened.body.attempt.startedAt)).toBeGreaterThan(Date.now() + 60_000);
      const stale = await call('POST', `/${raised.id}/approve/elevation`, tokens.get('admin'), { operationHash: raised.operationHash });
      expect(stale.status).toBe(403);
      expect(stale.body.error.code).toBe('no_fresh_sign_in');
      // the attempt was used up by that refusal
      const reused = await call('POST', `/${raised.id}/approve/elevation`, tokens.get('admin'), { operationHash: raised.operationHash });
      expect(reused.status).toBe(409);
      expect(reused.body.error.code).toBe('no_attempt');
    } finally {
      h.skewApprovalClock(0);
    }
    expect(h.exchangeCount()).toBe(exchangesBefore);

    // The operation the CLI showed must be the request's.
    expect((await call('POST', `/${raised.id}/approve`, tokens.get('admin'), { reason: 'INC-1042 restart' })).status).toBe(202);
    const fresh1 = await deviceCodeToken(h.sandbox, 'admin');
    const changed = await call('POST', `/${raised.id}/approve/elevation`, fresh1, { operationHash: '0'.repeat(64) });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('operation_mismatch');

    // Another administrator's fresh token cannot complete this approver's attempt.
    expect((await call('POST', `/${raised.id}/approve`, tokens.get('admin'), { reason: 'INC-1042 restart' })).status).toBe(202);
    const other = await call('POST', `/${raised.id}/approve/elevation`, await deviceCodeToken(h.sandbox, 'admin2'), { operationHash: raised.operationHash });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('no_attempt');
    expect(h.exchangeCount()).toBe(exchangesBefore);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');

    // The real thing: attempt, then a fresh sign-in, then one exchange and one execution.
    expect((await call('POST', `/${raised.id}/approve`, tokens.get('admin'), { reason: 'INC-1042 restart' })).status).toBe(202);
    const fresh = await deviceCodeToken(h.sandbox, 'admin');
    const done = await call('POST', `/${raised.id}/approve/elevation`, fresh, { operationHash: raised.operationHash });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ outcome: 'executed', state: 'succeeded', arm: { status: 200 } });
    expect(h.exchangeCount()).toBe(exchangesBefore + 1);
    expect(await h.executions(raised.id)).toBe(1);
    const final = await h.agentGet(h.readerAgent, raised.id);
    expect(final.actingIdentity).toBe(h.user('admin').oid);

    const history = await historyOf(raised.id);
    const types = history.map((e) => e.eventType);
    const started = types.indexOf('approval.obo.started');
    const decided = types.indexOf('approval.decided');
    const armRequest = types.indexOf('arm.request');
    const discarded = types.indexOf('token.discarded');
    expect(started).toBeGreaterThan(-1);
    expect(decided).toBeGreaterThan(started);
    expect(armRequest).toBeGreaterThan(decided);
    expect(discarded).toBeGreaterThan(armRequest);
    expect(history[decided]!.details).toMatchObject({ freshness: 'token_iat', operationHash: raised.operationHash });
    expect(types.filter((t) => t === 'approval.refused').length).toBe(4);

    // A second completion, and a second approval, are refused; nothing runs again.
    const again = await call('POST', `/${raised.id}/approve/elevation`, fresh, { operationHash: raised.operationHash });
    expect(again.status).toBe(409);
    expect((await call('POST', `/${raised.id}/approve`, fresh, { reason: 'again' })).status).toBe(409);
    expect(await h.executions(raised.id)).toBe(1);
    expect(h.exchangeCount()).toBe(exchangesBefore + 1);
  });
});

describe('administrator API: a Conditional Access claims challenge', { timeout: 90_000 }, () => {
  it("relays Entra's challenge as a documented 401 insufficient_claims; a token from a sign-in with those claims completes the approval once", async () => {
    const policy = randomUUID();
    expect((await putMfaPolicy(h.sandbox.origin, { id: policy, users: [h.user('admin2').oid] })).status).toBe(200);
    try {
      const raised = await h.submit(h.readerAgent, restartCheckout(h));
      const exchangesBefore = h.exchangeCount();
      expect((await call('POST', `/${raised.id}/approve`, tokens.get('admin2'), { reason: 'INC-9 under CA' })).status).toBe(202);
      const challenged = await call('POST', `/${raised.id}/approve/elevation`, await deviceCodeToken(h.sandbox, 'admin2'), { operationHash: raised.operationHash });
      expect(challenged.status, JSON.stringify(challenged.body)).toBe(401);
      const tenantId = h.sandbox.tenant.tenantId;
      const header = challenged.headers.get('www-authenticate')!;
      expect(header).toMatch(/^Bearer realm="[^"]+", authorization_uri="[^"]+", error="insufficient_claims", claims="[A-Za-z0-9+/]+=*"$/);
      expect(header).toContain(`realm="${tenantId}", authorization_uri="${h.endpoints.browserAuthorityHost}/${tenantId}/oauth2/v2.0/authorize"`);
      const read = readClaimsChallenge(header);
      expect(read?.ok).toBe(true);
      const claims = (read as { claims: string }).claims;
      expect(JSON.parse(claims)).toEqual({ access_token: { capolids: { essential: true, values: [policy] } } });
      expect(challenged.body).toMatchObject({ error: { code: 'insufficient_claims' }, requestId: raised.id, operationHash: raised.operationHash, attempt: { startedAt: expect.any(String) } });
      expect(challenged.body.error.message).toContain('AADSTS50076');
      expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
      expect(await h.executions(raised.id)).toBe(0);

      const done = await call('POST', `/${raised.id}/approve/elevation`, await deviceCodeToken(h.sandbox, 'admin2', undefined, undefined, claims), { operationHash: raised.operationHash });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({ outcome: 'executed', state: 'succeeded' });
      expect(await h.executions(raised.id)).toBe(1);
      expect(h.exchangeCount() - exchangesBefore).toBe(2);
    } finally {
      await deletePolicy(h.sandbox.origin, policy);
    }
  });
});

describe('responses', () => {
  it('were each checked against the OpenAPI document', () => {
    expect(checker.count()).toBeGreaterThan(40);
  });

  it('left no token in the database files or the logs after every flow above', () => {
    const jwt = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./;
    const text = (path: string) => (existsSync(path) ? readFileSync(path).toString('latin1') : '');
    for (const path of [h.dbPath, `${h.dbPath}-wal`]) expect(text(path), path).not.toMatch(jwt);
    expect(h.logs.join('\n')).not.toMatch(jwt);
    for (const t of tokens.values()) expect(h.logs.join('\n')).not.toContain(t.split('.')[2]);
  });
});
