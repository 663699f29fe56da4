/**
 * The whole loop through the composed service and its own sandbox, over real HTTP, real tokens
 * and the real SDKs: Azure Monitor (the sandbox) fires an alert through the secure webhook, an
 * incident opens for the agent managing the target's group, the agent (Review mode for incidents)
 * asks to restart a container app revision, an administrator consents on the pages, the restart
 * runs with the agent's identity, the agent closes the alert through Alerts Management (consented
 * too: a write), the incident resolves, and the incident page and audit timeline show all of it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../src/incidents/incident-types.ts';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import { Validator } from '@seriousme/openapi-schema-validator';
import { approveElevation, csrfOf } from '../approvals/support/approval-steps.ts';
import type { ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { openApiResponseChecker } from '../web/api/support/openapi-responses.ts';
import { startFullService, type FullService } from '../support/full-service.ts';
import { seedFile } from '../support/seed-variants.ts';

const SUB = 'b1995c7e-f47d-4afd-b2fc-8cf38f44e21d';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-sre-apps`;
const CHECKOUT = `${RG}/providers/Microsoft.App/containerApps/ca-checkout`;

let fs: FullService;
let token: string;

beforeAll(async () => {
  // The agent may restart container apps in rg-sre-apps (as at Privileged level), so the restart is a consent, not an elevation.
  const seed = seedFile((s) => {
    (s.roleAssignments as unknown[]).push({ name: randomUUID(), principal: 'mi:agent', role: 'Container Apps Contributor', scope: RG });
  });
  fs = await startFullService({ ELEVATE_SANDBOX_SEED: seed });
  token = await fs.agentToken();
}, 120_000);

afterAll(async () => {
  await fs?.close();
});

const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
  const res = await fetch(`${fs.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
};

async function fire(body: Record<string, unknown>): Promise<{ alertId: string; status: number; body: any }> {
  const sandbox = fs.service.context.sandbox!;
  const res = await fetch(`${sandbox.origin}/_sandbox/alerts/fire`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-sandbox-admin': 'true' },
    body: JSON.stringify({ webhookUrl: `${fs.url}/api/v1/alerts/azure-monitor`, ...body }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { alertId: string; status: number; body: any };
}

async function consent(requestId: string, reason: string): Promise<void> {
  const admin = await fs.signedIn('admin');
  const page = await admin.get(`${fs.url}/approvals/${requestId}`);
  expect(page.status).toBe(200);
  const res = await admin.post(`${fs.url}/approvals/${requestId}/approve`, { _csrf: csrfOf(page.body), reason });
  expect(res.status).toBeLessThan(400);
}

async function settled(requestId: string): Promise<OperationRequest> {
  for (let i = 0; i < 20; i++) {
    const r = await api('GET', `/api/v1/operations/${requestId}?wait=5`);
    if (['succeeded', 'failed', 'outcome_unknown', 'denied'].includes(r.json.state)) return r.json as OperationRequest;
  }
  throw new Error('the request never settled');
}

async function incidentState(id: string, want: string): Promise<Incident> {
  for (let i = 0; i < 50; i++) {
    const r = await api('GET', `/api/v1/incidents/${id}`);
    if (r.json?.state === want) return r.json as Incident;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`incident never became ${want}`);
}

describe('alert → incident → consented restart → alert closed', { timeout: 120_000 }, () => {
  it('runs the whole loop and records every step', async () => {
    // An agent already long-polling for new incidents is woken by the alert.
    const before = await api('GET', '/api/v1/incidents');
    expect(before.status).toBe(200);
    const cursor = before.json.nextCursor as string | null;
    const polling = api('GET', `/api/v1/incidents?wait=20${cursor ? `&cursor=${cursor}` : ''}`);

    const fired = await fire({ targetResourceId: CHECKOUT, alertRule: 'ca-checkout restarts', severity: 'Sev2', description: '<script>alert(1)</script> revision keeps restarting' });
    expect(fired.status).toBe(201);
    const incidentId = fired.body.incidentId as string;
    const alertGuid = fired.alertId.split('/').pop()!;

    const woken = await polling;
    expect(woken.status).toBe(200);
    expect(woken.json.items.map((i: Incident) => i.id)).toContain(incidentId);
    const incident = woken.json.items.find((i: Incident) => i.id === incidentId) as Incident;
    expect(incident).toMatchObject({ state: 'open', alertId: fired.alertId, severity: 'Sev2', monitorCondition: 'Fired', resourceGroupIds: [RG.toLowerCase()] });
    expect(incident.agentId).toBeDefined();

    // The same delivery again (Azure Monitor retries) changes nothing.
    const sandbox = fs.service.context.sandbox!;
    expect((await api('GET', `/api/v1/incidents/${incidentId}`)).json.version).toBe(0);

    // The agent, in Review mode for incidents, asks to restart the revision.
    const restart = await api('POST', '/api/v1/operations', {
      method: 'POST',
      path: `${CHECKOUT}/revisions/ca-checkout--v2/restart`,
      apiVersion: '2024-03-01',
      justification: 'the revision keeps restarting (alert ca-checkout restarts)',
      trigger: { kind: 'incident', ref: incidentId },
      idempotencyKey: randomUUID(),
    });
    expect(restart.status).toBe(201);
    expect(restart.json).toMatchObject({ state: 'pending_consent', decision: { runMode: 'Review', outcome: 'pending_consent' }, trigger: { kind: 'incident', ref: incidentId } });

    await consent(restart.json.id, 'restart it, the incident is real');
    const restarted = await settled(restart.json.id);
    expect(restarted.state).toBe('succeeded');

    // The agent closes the alert through Alerts Management: a write, so consented too.
    const close = await api('POST', '/api/v1/operations', {
      method: 'POST',
      path: `${RG}/providers/Microsoft.AlertsManagement/alerts/${alertGuid}/changestate`,
      apiVersion: '2024-01-01-preview',
      query: { newState: 'Closed' },
      body: { comment: 'restarted ca-checkout--v2' },
      justification: 'the restart fixed it',
      trigger: { kind: 'incident', ref: incidentId },
      idempotencyKey: randomUUID(),
    });
    expect(close.status).toBe(201);
    expect(close.json.decision).toMatchObject({ action: 'Microsoft.AlertsManagement/alerts/changestate/action', outcome: 'pending_consent' });
    await consent(close.json.id, 'close the alert');
    const closed = await settled(close.json.id);
    expect(closed.state).toBe('succeeded');
    expect(closed.arm?.body).toMatchObject({ properties: { essentials: { alertState: 'Closed', monitorCondition: 'Fired' } } });
    const resolved = await incidentState(incidentId, 'resolved');
    expect(resolved.stateReason).toContain(close.json.id);

    // The sandbox's Alerts Management agrees (a read runs directly).
    const read = await api('POST', '/api/v1/operations', {
      method: 'GET',
      path: `${RG}/providers/Microsoft.AlertsManagement/alerts/${alertGuid}`,
      apiVersion: '2024-01-01-preview',
      trigger: { kind: 'incident', ref: incidentId },
      idempotencyKey: randomUUID(),
    });
    expect(read.json).toMatchObject({ state: 'succeeded', arm: { status: 200, body: { id: fired.alertId, properties: { essentials: { alertState: 'Closed' } } } } });
    expect(sandbox.activityLog().some((e) => e.action === 'Microsoft.AlertsManagement/alerts/changestate/action' && e.status === 'Succeeded')).toBe(true);

    // The incident page shows the alert (escaped), both operations, both consents.
    const auditor = await fs.signedIn('auditor');
    const page = await auditor.get(`${fs.url}/incidents/${incidentId}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-testid="incident-state">Resolved');
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    for (const id of [restart.json.id, close.json.id]) expect(page.body).toContain(`data-request="${id}"`);
    expect(page.body).toContain('restart it, the incident is real');
    expect(page.body).toContain('ada.admin@contoso-sre.onmicrosoft.com');
    expect(page.body).toContain('newState=Closed');
    const list = await auditor.get(`${fs.url}/incidents`);
    expect(list.body).toContain(`data-incident="${incidentId}"`);

    // The audit timeline of the restart links to the incident; the auditor can filter by it.
    const timeline = await auditor.get(`${fs.url}/audit/requests/${restart.json.id}`);
    expect(timeline.status).toBe(200);
    expect(timeline.body).toContain(`href="/incidents/${incidentId}"`);
    // The incident's move is claimed by compare-and-set, then audited: its entry may trail the state read above.
    let rows = '';
    await vi.waitFor(
      async () => {
        const byIncident = await auditor.get(`${fs.url}/audit?incidentId=${incidentId}`);
        expect(byIncident.status).toBe(200);
        rows = byIncident.body.replace(/<datalist[\s\S]*?<\/datalist>/, '');
        expect(rows).toContain('incident.resolved');
      },
      { timeout: 10_000, interval: 100 },
    );
    for (const event of ['incident.opened', 'operation.requested', 'operation.transition', 'arm.request', 'incident.resolved']) expect(rows).toContain(event);
    // The consents are the approve transitions, by the administrator.
    expect(rows).toContain('ada.admin@contoso-sre.onmicrosoft.com');
    expect(rows).not.toContain('signin.completed');
  });

  it('refuses an operation naming an unknown incident, or one outside the agent’s groups, and audits it', async () => {
    // An alert on rg-web: recorded, but no agent manages that group.
    const foreign = await fire({ targetResourceId: `/subscriptions/${SUB}/resourceGroups/rg-web/providers/Microsoft.Web/sites/app-web-01`, alertRule: 'web 5xx' });
    expect(foreign.status).toBe(201);
    const foreignId = foreign.body.incidentId as string;
    expect((await api('GET', `/api/v1/incidents/${foreignId}`)).status).toBe(404);
    for (const ref of [randomUUID(), foreignId, 'INC-4711', '../../etc/passwd']) {
      const key = randomUUID();
      const res = await api('POST', '/api/v1/operations', {
        method: 'POST',
        path: `${CHECKOUT}/revisions/ca-checkout--v2/restart`,
        apiVersion: '2024-03-01',
        justification: 'x',
        trigger: { kind: 'incident', ref },
        idempotencyKey: key,
      });
      expect(res.status, ref).toBe(400);
      expect(res.json.error.fields).toEqual([{ path: 'trigger.ref', message: expect.stringContaining('names no incident') }]);
      expect((await api('GET', `/api/v1/operations?limit=200`)).json.items.some((r: OperationRequest) => r.idempotencyKey === key)).toBe(false);
    }
    const auditor = await fs.signedIn('auditor');
    const refused = await auditor.get(`${fs.url}/audit?eventType=operation.refused`);
    const entry = /href="(\/audit\/entries\/\d+)"/.exec(refused.body.replace(/<datalist[\s\S]*?<\/datalist>/, ''));
    expect(entry).not.toBeNull();
    expect((await auditor.get(`${fs.url}${entry![1]}`)).body).toContain('trigger.ref');
  });

  it('validates the incidents API query and hides other agents’ incidents', async () => {
    for (const q of ['wait=61', 'wait=x', 'limit=0', 'state=closed', 'cursor=%7B%7D']) expect((await api('GET', `/api/v1/incidents?${q}`)).status, q).toBe(400);
    expect((await api('GET', `/api/v1/incidents/${randomUUID()}`)).status).toBe(404);
    expect((await api('GET', '/api/v1/incidents/not-an-id')).status).toBe(404);
    const anonymous = await fetch(`${fs.url}/api/v1/incidents`);
    expect(anonymous.status).toBe(401);
    const open = await api('GET', '/api/v1/incidents?state=open&limit=5');
    expect(open.status).toBe(200);
    expect(open.json.items.every((i: Incident) => i.state === 'open')).toBe(true);

    // The answers are what the OpenAPI document says, and the document is valid OpenAPI 3.1.
    const doc = (await (await fetch(`${fs.url}/api/v1/openapi.json`)).json()) as Parameters<typeof openApiResponseChecker>[0];
    const validation = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    expect(validation.valid, String(JSON.stringify(validation.errors)).slice(0, 500)).toBe(true);
    const checker = openApiResponseChecker(doc);
    const all = await api('GET', '/api/v1/incidents');
    checker.check('GET', '/incidents', 200, all.json);
    checker.check('GET', '/incidents/{id}', 200, (await api('GET', `/api/v1/incidents/${all.json.items[0].id}`)).json);
    checker.check('GET', '/incidents', 400, (await api('GET', '/api/v1/incidents?wait=99')).json);
  });

  it('lets every user role read incidents, nobody else, and refuses bad page input', async () => {
    const fired = await fire({ targetResourceId: CHECKOUT, alertRule: 'page access' });
    const id = fired.body.incidentId as string;
    const anonymous = await fetch(`${fs.url}/incidents/${id}`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toContain('/auth/signin');
    // A user without an Elevate role is not signed in at all: sent back to sign-in, never the page.
    const norole = await fs.signedIn('norole').catch(() => undefined);
    if (norole) for (const path of ['/incidents', `/incidents/${id}`]) expect([303, 403]).toContain((await norole.get(`${fs.url}${path}`)).status);
    const reader = await fs.signedIn('reader');
    expect((await reader.get(`${fs.url}/incidents/${id}`)).status).toBe(200);
    const list = await reader.get(`${fs.url}/incidents?state=open`);
    expect(list.status).toBe(200);
    expect(list.body).toContain(`data-incident="${id}"`);
    expect((await reader.get(`${fs.url}/incidents?state=closed`)).status).toBe(400);
    expect((await reader.get(`${fs.url}/incidents?cursor=abc`)).status).toBe(400);
    expect((await reader.get(`${fs.url}/incidents/${randomUUID()}`)).status).toBe(404);
    expect((await reader.get(`${fs.url}/incidents/%3Cscript%3E`)).status).toBe(404);
  });

  it('shows an on-behalf-of elevation approved for an incident on its page', async () => {
    // The agent holds Reader only on rg-sre-vms: restarting the VM needs an administrator's elevation.
    const vm = `/subscriptions/${SUB}/resourceGroups/rg-sre-vms/providers/Microsoft.Compute/virtualMachines/vm-sre-worker-01`;
    const fired = await fire({ targetResourceId: vm, alertRule: 'vm-sre-worker-01 unresponsive', kind: 'activity' });
    const incidentId = fired.body.incidentId as string;
    const raised = await api('POST', '/api/v1/operations', {
      method: 'POST',
      path: `${vm}/restart`,
      apiVersion: '2024-07-01',
      justification: 'the worker stopped answering',
      trigger: { kind: 'incident', ref: incidentId },
      idempotencyKey: randomUUID(),
    });
    expect(raised.json.state).toBe('pending_elevation');
    const sandbox = fs.service.context.sandbox!;
    const h = { url: fs.url, sandbox, user: (key: string) => sandbox.tenant.users.find((u) => u.key === key)! } as unknown as ApprovalHarness;
    const admin = await fs.signedIn('admin');
    const { callback } = await approveElevation(admin, h, raised.json.id, 'admin', 'restart the worker for the incident');
    expect(callback.status).toBe(303);
    expect((await settled(raised.json.id)).state).toBe('succeeded');
    const page = await (await fs.signedIn('auditor')).get(`${fs.url}/incidents/${incidentId}`);
    expect(page.body).toContain('data-testid="incident-elevations"');
    expect(page.body).toContain('Microsoft.Compute/virtualMachines/restart/action');
    expect(page.body).toContain('on-behalf-of elevation');
    expect(page.body).toContain('restart the worker for the incident');
  });
});
