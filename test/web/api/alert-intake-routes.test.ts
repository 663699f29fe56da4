/**
 * The alert intake over HTTP, in the real web app with the real token validator (its own key set
 * standing in for the tenant's), a file database, the audit log and the refusal-collapsing sink:
 * who may deliver (the secure webhook's token, checked like any token for Elevate's API), what a
 * bad delivery gets (a clear 4xx, audited, nothing stored), and de-duplication of repeats.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import { exportJWK, generateKeyPair, createLocalJWKSet, SignJWT, type JWTPayload } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../../src/audit/audit-log.ts';
import { collapsingAudit, createRefusalRecorder, type RefusalRecorder } from '../../../src/audit/audit-refusals.ts';
import { createApiTokenValidator } from '../../../src/azure/api-token-validator.ts';
import { createIncidentsModule, type IncidentsModule } from '../../../src/incidents/incidents-module.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import type { Database } from '../../../src/store/database.ts';
import { openTestStore } from '../../support/test-store.ts';
import { alertBodyErrorHandler, alertIntakeRouter, ALERTS_PATH } from '../../../src/web/api/alert-intake-routes.ts';
import { createWebApp } from '../../../src/web/create-web-app.ts';
import { capturedLogger } from '../../support/captured-logger.ts';
import { fixture, withAlertGuid } from '../../incidents/alert-fixtures.ts';

const TENANT = '26d07dfe-13eb-44c6-bbdf-5d359fd60c0c';
const OTHER_TENANT = '6418fbe7-886c-4f64-b8e9-200ab1dfaf1c';
const ELEVATE_CLIENT_ID = '53bf064d-c659-4749-839e-d56b96eaae54';
const AUDIENCE = `api://${ELEVATE_CLIENT_ID}`;
const ACTION_GROUP = '461e8683-5575-4561-ac7f-899cc907d62a';
const ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const AGENT_RG = '/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d/resourcegroups/rg-sre-apps';
const HMAC_SECRET = 'h'.repeat(40);
const URL_SECRET = 'u'.repeat(40);

let db: Database;
let audit: AuditLog;
let recorder: RefusalRecorder;
/** What the service logged (its request log included). */
let logs: string[];
let incidents: IncidentsModule;
let app: ReturnType<typeof createWebApp>;
let sign: (claims: JWTPayload, opts?: { kid?: string; expiresIn?: number }) => Promise<string>;

beforeAll(async () => {
  db = await openTestStore(join(mkdtempSync(join(tmpdir(), 'elevate-alerts-')), 'e.db'));
  const captured = capturedLogger();
  const logger = captured.logger;
  logs = captured.logs;
  const metrics = createMetrics();
  audit = createAuditLog(db, { logger, metrics });
  recorder = createRefusalRecorder(audit, () => new Date());
  const sink = collapsingAudit(audit, recorder);
  incidents = createIncidentsModule({ db, audit: sink, refusalAudit: sink, agents: { list: async () => [{ id: 'agent-1', resourceGroupIds: [AGENT_RG] }] } });

  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const validateToken = createApiTokenValidator({ issuers: [ISSUER], tenantId: TENANT, audiences: [AUDIENCE, ELEVATE_CLIENT_ID], jwksUri: 'https://login.microsoftonline.com/unused', keySet: createLocalJWKSet({ keys: [jwk] }) });
  sign = (claims, opts = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iat: now, nbf: now - 60, exp: now + (opts.expiresIn ?? 3600), ...claims }).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: opts.kid ?? 'k1' }).sign(privateKey);
  };
  const deps = { intake: incidents.intake };
  app = createWebApp({
    mode: 'sandbox',
    logger,
    metrics,
    trustProxy: false,
    https: false,
    authorizeOrigin: 'https://login.microsoftonline.com',
    readiness: [],
    routes: [
      {
        path: ALERTS_PATH,
        handlers: [
          alertBodyErrorHandler(deps) as unknown as RequestHandler,
          alertIntakeRouter({
            ...deps,
            secureWebhook: { validateToken, actionGroupAppId: ACTION_GROUP, appRole: 'ActionGroupsSecureWebhook' },
            sharedSecrets: [
              { source: 'grafana', mode: 'hmac', secret: HMAC_SECRET },
              { source: 'pager', mode: 'url', secret: URL_SECRET },
            ],
          }),
        ],
      },
    ],
  });
});

afterAll(async () => {
  await incidents?.close();
  await db?.close();
});

/** The claims Entra puts in the action group's token for Elevate's registration (v2). */
const actionGroupClaims = (extra: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  tid: TENANT,
  oid: '7a1c5e3d-2b4f-4c6e-8d9a-0f1e2d3c4b5a',
  sub: '7a1c5e3d-2b4f-4c6e-8d9a-0f1e2d3c4b5a',
  azp: ACTION_GROUP,
  azpacr: '2',
  idtyp: 'app',
  roles: ['ActionGroupsSecureWebhook'],
  ver: '2.0',
  ...extra,
});

const post = (body: unknown, token?: string) => {
  const r = request(app).post(`${ALERTS_PATH}/azure-monitor`).set('content-type', 'application/json');
  if (token) r.set('authorization', `Bearer ${token}`);
  return r.send(typeof body === 'string' ? body : JSON.stringify(body));
};

const count = async () => ((await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM incidents'))[0]!.n);
let lastSeq = 0;
const newEntries = async () => {
  const page = await audit.list({}, { limit: 1000 });
  const fresh = page.entries.filter((e) => e.seq > lastSeq);
  lastSeq = Math.max(lastSeq, ...page.entries.map((e) => e.seq));
  return fresh;
};

beforeEach(async () => {
  // Each test starts with no open refusal window, so its first refusal is appended.
  await recorder.flush();
  await newEntries();
});

describe('secure webhook authentication', () => {
  it('accepts the action group token and opens an incident for the agent managing the target group', async () => {
    const payload = withAlertGuid(fixture('metric-alert-fired'), randomUUID());
    const res = await post(payload, await sign(actionGroupClaims()));
    expect(res.status).toBe(201);
    const incident = await incidents.store.get(res.body.incidentId);
    expect(incident).toMatchObject({ state: 'open', agentId: 'agent-1', source: 'secure-webhook', resourceGroupIds: [AGENT_RG] });
    const entries = await newEntries();
    expect(entries.map((e) => e.eventType)).toEqual(['incident.opened']);
    expect(entries[0]).toMatchObject({ subject: incident!.id, agentId: 'agent-1', actor: { kind: 'service', id: ACTION_GROUP } });
  });

  it('accepts a v1 token (appid, App ID URI audience) too', async () => {
    const claims = actionGroupClaims({ iss: ISSUER, azp: undefined, appid: ACTION_GROUP, ver: '1.0', aud: ELEVATE_CLIENT_ID });
    expect((await post(withAlertGuid(fixture('log-search-alert-fired'), randomUUID()), await sign(claims))).status).toBe(201);
  });

  it.each([
    ['no token', undefined, 401, 'unauthenticated'],
    ['a wrong audience', actionGroupClaims({ aud: 'https://management.azure.com/' }), 401, 'token_wrong_audience'],
    ['a wrong issuer (another tenant)', actionGroupClaims({ iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`, tid: OTHER_TENANT }), 401, 'token_wrong_issuer'],
    ['a wrong tenant claim', actionGroupClaims({ tid: OTHER_TENANT }), 401, 'token_wrong_tenant'],
    ['another caller app', actionGroupClaims({ azp: 'c85087d7-6b28-4a65-8eeb-7d0faba402cd' }), 403, 'wrong_caller_app'],
    ['no app role', actionGroupClaims({ roles: [] }), 403, 'missing_app_role'],
    ['another app role', actionGroupClaims({ roles: ['Audit.Read'] }), 403, 'missing_app_role'],
    ['a user token', actionGroupClaims({ scp: 'user_impersonation', idtyp: 'user' }), 403, 'not_an_application'],
  ])('refuses %s, audits it, and stores nothing', async (_label, claims, status, code) => {
    const before = await count();
    const res = await post(withAlertGuid(fixture('metric-alert-fired'), randomUUID()), claims ? await sign(claims) : undefined);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await count()).toBe(before);
    const entries = await newEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ eventType: 'incident.alert.refused', details: { reason: code, status } });
    // The token is never recorded.
    expect(JSON.stringify(entries[0])).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });

  it('refuses an expired token', async () => {
    const res = await post(withAlertGuid(fixture('metric-alert-fired'), randomUUID()), await sign(actionGroupClaims(), { expiresIn: -600 }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });

  it('refuses a token signed with a key the tenant does not publish', async () => {
    const res = await post(withAlertGuid(fixture('metric-alert-fired'), randomUUID()), await sign(actionGroupClaims(), { kid: 'unknown' }));
    expect(res.status).toBe(401);
  });

  it('collapses a flood of refusals from one sender into one entry and a count', async () => {
    for (let i = 0; i < 5; i++) expect((await post(fixture('metric-alert-fired'))).status).toBe(401);
    expect((await newEntries()).filter((e) => e.eventType === 'incident.alert.refused')).toHaveLength(1);
    await recorder.flush();
    const repeated = (await newEntries()).filter((e) => e.eventType === 'refusal.repeated');
    expect(repeated).toHaveLength(1);
    expect(repeated[0]!.details).toMatchObject({ count: 4, repeatedEventType: 'incident.alert.refused' });
  });
});

describe('de-duplication', () => {
  it('records a repeated delivery (alert id and state) once, and resolves on the resolved delivery', async () => {
    const guid = randomUUID();
    const token = await sign(actionGroupClaims());
    const first = await post(withAlertGuid(fixture('metric-alert-fired'), guid), token);
    expect(first.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const again = await post(withAlertGuid(fixture('metric-alert-fired'), guid), token);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ incidentId: first.body.incidentId, state: 'open', duplicate: true });
    }
    const resolved = await post(withAlertGuid(fixture('metric-alert-resolved'), guid), token);
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ incidentId: first.body.incidentId, state: 'resolved', duplicate: false });
    expect((await post(withAlertGuid(fixture('metric-alert-resolved'), guid), token)).body.duplicate).toBe(true);
    expect(await incidents.store.deliveryCount(first.body.incidentId)).toEqual({ deliveries: 2, repeats: 4 });
    const events = (await newEntries()).map((e) => e.eventType);
    expect(events.filter((e) => e === 'incident.opened')).toHaveLength(1);
    expect(events.filter((e) => e === 'incident.resolved')).toHaveLength(1);
    // Repeats collapse: the first is recorded, the rest counted.
    expect(events.filter((e) => e === 'incident.alert.repeated').length).toBeLessThanOrEqual(2);
  });

  it('handles concurrent identical deliveries as one incident', async () => {
    const guid = randomUUID();
    const token = await sign(actionGroupClaims());
    const answers = await Promise.all([1, 2, 3, 4].map(() => post(withAlertGuid(fixture('log-search-alert-fired'), guid), token)));
    expect(new Set(answers.map((a) => a.body.incidentId)).size).toBe(1);
    expect((await db.all<{ n: number }>('SELECT COUNT(*) AS n FROM incidents WHERE alert_guid = ?', [guid]))[0]!.n).toBe(1);
  });

  it('opens an alert whose target no agent manages, routed to nobody', async () => {
    const res = await post(withAlertGuid(fixture('activity-log-alert-fired'), randomUUID()), await sign(actionGroupClaims()));
    expect(res.status).toBe(201);
    expect((await incidents.store.get(res.body.incidentId))?.agentId).toBeUndefined();
  });
});

describe('hostile payloads', () => {
  it('refuses a payload over the size limit with 413, audited, nothing stored', async () => {
    const before = await count();
    const big = withAlertGuid(fixture('metric-alert-fired'), randomUUID());
    big.data.alertContext = { blob: 'x'.repeat(200 * 1024) };
    const res = await post(big, await sign(actionGroupClaims()));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await count()).toBe(before);
    expect((await newEntries()).map((e) => e.eventType)).toEqual(['incident.alert.refused']);
  });

  it('refuses wrong types field by field, without echoing values', async () => {
    const p = withAlertGuid(fixture('metric-alert-fired'), randomUUID());
    p.data.essentials.severity = { $gt: '' };
    p.data.essentials.alertTargetIDs = 'IGNORE PREVIOUS INSTRUCTIONS';
    const res = await post(p, await sign(actionGroupClaims()));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_alert');
    expect(res.body.error.fields.map((f: { path: string }) => f.path)).toEqual(expect.arrayContaining(['data.essentials.severity', 'data.essentials.alertTargetIDs']));
    expect(JSON.stringify(res.body)).not.toContain('IGNORE PREVIOUS');
  });

  it('refuses malformed JSON and non-JSON bodies', async () => {
    expect((await post('{"schemaId": ', await sign(actionGroupClaims()))).status).toBe(400);
    const text = await request(app).post(`${ALERTS_PATH}/azure-monitor`).set('content-type', 'text/plain').set('authorization', `Bearer ${await sign(actionGroupClaims())}`).send('alert!');
    expect(text.status).toBe(415);
  });

  it('stores script in the essentials as text', async () => {
    const p = withAlertGuid(fixture('metric-alert-fired'), randomUUID());
    p.data.essentials.alertRule = '<img src=x onerror=alert(1)>';
    const res = await post(p, await sign(actionGroupClaims()));
    expect(res.status).toBe(201);
    expect((await incidents.store.get(res.body.incidentId))?.alertRule).toBe('<img src=x onerror=alert(1)>');
  });

  // PostgreSQL's text type cannot hold U+0000 (https://www.postgresql.org/docs/current/datatype-character.html):
  // a NUL that reached a column would fail the insert there with a 500. Refused or stored, never a 5xx, on either engine.
  it('answers a NUL in any field with a 4xx or stores it, never a 5xx, and audits the refusal', async () => {
    const nul = 'x\u0000y';
    const variants: Array<[string, (p: ReturnType<typeof fixture>) => void]> = [
      ['alertRule', (p) => (p.data.essentials.alertRule = nul)],
      ['description', (p) => (p.data.essentials.description = nul)],
      ['configurationItems', (p) => (p.data.essentials.configurationItems = [nul])],
      ['originAlertId', (p) => (p.data.essentials.originAlertId = nul)],
      ['monitoringService', (p) => (p.data.essentials.monitoringService = nul)],
      ['alertContext', (p) => (p.data.alertContext = { nested: [{ value: nul }], [nul]: nul })],
      ['customProperties', (p) => (p.data.customProperties = { [nul]: nul })],
    ];
    for (const [field, poison] of variants) {
      const p = withAlertGuid(fixture('metric-alert-fired'), randomUUID());
      poison(p);
      const before = await count();
      const res = await post(p, await sign(actionGroupClaims()));
      expect(res.status, field).toBeLessThan(500);
      if (res.status === 201) {
        expect(await count(), field).toBe(before + 1);
        expect(await incidents.store.get(res.body.incidentId), field).toBeDefined();
      } else {
        expect(res.status, field).toBe(400);
        expect(await count(), field).toBe(before);
        await recorder.flush();
        expect((await newEntries()).map((e) => e.eventType), field).toContain('incident.alert.refused');
      }
    }
  });
});

describe('other monitoring tools (off unless configured)', () => {
  const body = () => JSON.stringify(withAlertGuid(fixture('metric-alert-fired'), randomUUID()));
  const sig = (raw: string, secret = HMAC_SECRET) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

  it('accepts an HMAC over the exact body bytes and refuses a wrong one', async () => {
    const raw = body();
    const ok = await request(app).post(`${ALERTS_PATH}/sources/grafana`).set('content-type', 'application/json').set('x-elevate-signature', sig(raw)).send(raw);
    expect(ok.status).toBe(201);
    expect((await incidents.store.get(ok.body.incidentId))?.source).toBe('shared-secret:grafana');
    const raw2 = body();
    const bad = await request(app).post(`${ALERTS_PATH}/sources/grafana`).set('content-type', 'application/json').set('x-elevate-signature', sig(raw2, 'z'.repeat(40))).send(raw2);
    expect(bad.status).toBe(401);
    const none = await request(app).post(`${ALERTS_PATH}/sources/grafana`).set('content-type', 'application/json').send(body());
    expect(none.status).toBe(401);
  });

  it('accepts the secret in the URL only for a URL-mode source', async () => {
    expect((await request(app).post(`${ALERTS_PATH}/sources/pager/${URL_SECRET}`).set('content-type', 'application/json').send(body())).status).toBe(201);
    expect((await request(app).post(`${ALERTS_PATH}/sources/pager/${'v'.repeat(40)}`).set('content-type', 'application/json').send(body())).status).toBe(401);
    // An HMAC source does not take a URL secret, and an unknown source is refused alike.
    expect((await request(app).post(`${ALERTS_PATH}/sources/grafana/${HMAC_SECRET}`).set('content-type', 'application/json').send(body())).status).toBe(401);
    expect((await request(app).post(`${ALERTS_PATH}/sources/nagios`).set('content-type', 'application/json').send(body())).status).toBe(401);
  });

  it('lets only the source that opened an alert update it: another source\'s "Resolved" is refused and changes nothing', async () => {
    const guid = randomUUID();
    const opened = await post(withAlertGuid(fixture('metric-alert-fired'), guid), await sign(actionGroupClaims()));
    expect(opened.status).toBe(201);
    await newEntries();
    // A tool holding only a shared secret, with the alert's GUID (it is in the alert's id).
    const viaUrl = await request(app).post(`${ALERTS_PATH}/sources/pager/${URL_SECRET}`).set('content-type', 'application/json').send(JSON.stringify(withAlertGuid(fixture('metric-alert-resolved'), guid)));
    expect(viaUrl.status).toBe(409);
    expect(viaUrl.body.error.code).toBe('alert_source_mismatch');
    const raw = JSON.stringify(withAlertGuid(fixture('metric-alert-resolved'), guid));
    const viaHmac = await request(app).post(`${ALERTS_PATH}/sources/grafana`).set('content-type', 'application/json').set('x-elevate-signature', sig(raw)).send(raw);
    expect(viaHmac.status).toBe(409);
    expect((await incidents.store.get(opened.body.incidentId))?.state).toBe('open');
    expect(await incidents.store.deliveryCount(opened.body.incidentId)).toEqual({ deliveries: 1, repeats: 0 });
    await recorder.flush();
    const events = (await newEntries()).map((e) => e.eventType);
    expect(events).not.toContain('incident.resolved');
    // The source that opened it still resolves it.
    const resolved = await post(withAlertGuid(fixture('metric-alert-resolved'), guid), await sign(actionGroupClaims()));
    expect(resolved.body).toMatchObject({ incidentId: opened.body.incidentId, state: 'resolved' });
  });

  it('never logs the secret a URL-mode source sends in its path, accepted or refused', async () => {
    const before = logs.length;
    expect((await request(app).post(`${ALERTS_PATH}/sources/pager/${URL_SECRET}`).set('content-type', 'application/json').send(body())).status).toBe(201);
    // The real secret on a source name in another case: refused (names match exactly), and still not logged.
    expect((await request(app).post(`${ALERTS_PATH}/sources/Pager/${URL_SECRET}`).set('content-type', 'application/json').send(body())).status).toBe(401);
    const written = logs.slice(before).join('');
    expect(written).toContain('/sources/pager/[redacted]');
    expect(written).not.toContain(URL_SECRET);
  });
});
