/**
 * The sandbox's Azure Monitor and Alerts Management, through the real SDK transport: an alert
 * fired through an action group's secure webhook (the token Entra would give the action group,
 * the common-schema body), then get, list and changestate on it with ARM's shapes, api-versions,
 * RBAC and errors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTokenValidator } from '../../src/azure/api-token-validator.ts';
import { parseCommonAlert } from '../../src/incidents/alert-schema.ts';
import { armRequest } from '../support/arm-request.ts';
import { sandboxInfo } from '../support/sandbox-context.ts';

const s = () => sandboxInfo();
const SUB = 'b1995c7e-f47d-4afd-b2fc-8cf38f44e21d';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-sre-apps`;
const TARGET = `${RG}/providers/Microsoft.App/containerApps/ca-checkout`;

let server: Server;
let webhookUrl: string;
const received: Array<{ authorization: string | undefined; body: unknown }> = [];
const agent = () => new ManagedIdentityCredential({ clientId: s().tenant.agent.uamiClientId });

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      received.push({ authorization: req.headers.authorization, body: JSON.parse(raw) });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"incidentId":"x"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/alerts/azure-monitor`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function fire(body: Record<string, unknown>): Promise<{ alertId: string; status: number; monitorCondition: string }> {
  const res = await fetch(`${s().origin}/_sandbox/alerts/fire`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-sandbox-admin': 'true' }, body: JSON.stringify({ webhookUrl, ...body }) });
  expect(res.status).toBe(200);
  return (await res.json()) as { alertId: string; status: number; monitorCondition: string };
}

describe('Azure Monitor fires through the secure webhook', () => {
  it('posts a common-schema payload with a token for Elevate’s registration, issued to the action group app with its app role', async () => {
    const fired = await fire({ targetResourceId: TARGET, kind: 'log', alertRule: 'ca-checkout OOM', severity: 'Sev1' });
    expect(fired.status).toBe(201);
    const delivery = received.at(-1)!;
    const parsed = parseCommonAlert(delivery.body);
    expect(parsed).toMatchObject({ ok: true, alert: { alertId: fired.alertId, severity: 'Sev1', signalType: 'Log', monitoringService: 'Log Alerts V2', monitorCondition: 'Fired' } });
    const token = /^Bearer (.+)$/.exec(delivery.authorization ?? '')![1]!;
    const t = s().tenant;
    const validate = createApiTokenValidator({
      issuers: [`${s().origin}/${t.tenantId}/v2.0`, `https://sts.windows.net/${t.tenantId}/`],
      tenantId: t.tenantId,
      audiences: [t.elevateApp.apiAudience, t.elevateApp.clientId],
      jwksUri: `${s().origin}/${t.tenantId}/discovery/v2.0/keys`,
    });
    const claims = await validate(token);
    expect(claims).toMatchObject({ clientAppId: '461e8683-5575-4561-ac7f-899cc907d62a', principalType: 'app', roles: ['ActionGroupsSecureWebhook'], idtyp: 'app' });
  });

  it('refuses the admin call without the admin header or with a bad body', async () => {
    expect((await fetch(`${s().origin}/_sandbox/alerts/fire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    const bad = await fetch(`${s().origin}/_sandbox/alerts/fire`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-sandbox-admin': 'true' }, body: JSON.stringify({ webhookUrl: 'file:///etc/passwd', targetResourceId: TARGET }) });
    expect(bad.status).toBe(400);
  });
});

describe('Alerts Management on the fired alerts', () => {
  it('gets, lists and changes the state of an alert at the resource group scope, as ARM does', async () => {
    const fired = await fire({ targetResourceId: TARGET, alertRule: 'ca-checkout restarts' });
    const guid = fired.alertId.split('/').pop()!;
    const path = `${RG}/providers/Microsoft.AlertsManagement/alerts/${guid}`;
    const got = await armRequest(agent(), 'GET', `${path}?api-version=2024-01-01-preview`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: fired.alertId, type: 'Microsoft.AlertsManagement/alerts', properties: { essentials: { alertState: 'New', monitorCondition: 'Fired', targetResource: TARGET, targetResourceGroup: 'rg-sre-apps', severity: 'Sev2' } } });

    const list = await armRequest(agent(), 'GET', `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts?api-version=2019-05-05-preview`);
    expect(list.status).toBe(200);
    expect((list.body as { value: Array<{ id: string }> }).value.map((a) => a.id)).toContain(fired.alertId);

    const missing = await armRequest(agent(), 'POST', `${path}/changestate?api-version=2024-01-01-preview`);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: { code: 'InvalidParameter' } });

    const ack = await armRequest(agent(), 'POST', `${path}/changestate?api-version=2024-01-01-preview&newState=Acknowledged`, { body: { comment: 'looking' } });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ properties: { essentials: { alertState: 'Acknowledged', monitorCondition: 'Fired', lastModifiedUserName: s().tenant.agent.uamiPrincipalId } } });

    // The monitor condition changes only when the monitoring service resolves it.
    const resolved = await fire({ targetResourceId: TARGET, resolveAlertId: fired.alertId });
    expect(resolved.monitorCondition).toBe('Resolved');
    const after = await armRequest(agent(), 'GET', `${path}?api-version=2024-01-01-preview`);
    expect(after.body).toMatchObject({ properties: { essentials: { alertState: 'Acknowledged', monitorCondition: 'Resolved' } } });
  });

  it('answers ARM’s errors: old api-version at a resource group scope, unknown alert, alert outside the scope', async () => {
    const fired = await fire({ targetResourceId: TARGET });
    const guid = fired.alertId.split('/').pop()!;
    const old = await armRequest(agent(), 'GET', `${RG}/providers/Microsoft.AlertsManagement/alerts/${guid}?api-version=2019-05-05-preview`);
    expect(old.status).toBe(400);
    expect(old.body).toMatchObject({ error: { code: 'NoRegisteredProviderFound' } });
    const unknown = await armRequest(agent(), 'GET', `${RG}/providers/Microsoft.AlertsManagement/alerts/00000000-0000-0000-0000-000000000000?api-version=2024-01-01-preview`);
    expect(unknown.status).toBe(404);
    const elsewhere = await armRequest(agent(), 'GET', `/subscriptions/${SUB}/resourceGroups/rg-sre-vms/providers/Microsoft.AlertsManagement/alerts/${guid}?api-version=2024-01-01-preview`);
    expect(elsewhere.status).toBe(404);
  });

  it('checks RBAC first: a caller without alerts permissions gets AuthorizationFailed, not whether the alert exists', async () => {
    const fired = await fire({ targetResourceId: TARGET });
    const guid = fired.alertId.split('/').pop()!;
    // Another app of the tenant, with no Azure role anywhere.
    const dashboard = s().tenant.otherApps.find((a) => a.key === 'dashboard')!;
    const cred = new ClientSecretCredential(s().tenant.tenantId, dashboard.clientId, dashboard.clientSecret!, { authorityHost: s().authorityHost, disableInstanceDiscovery: true });
    for (const id of [guid, '00000000-0000-0000-0000-000000000000']) {
      const res = await armRequest(cred, 'POST', `${RG}/providers/Microsoft.AlertsManagement/alerts/${id}/changestate?api-version=2024-01-01-preview&newState=Closed`);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: { code: 'AuthorizationFailed' } });
    }
    const still = await armRequest(agent(), 'GET', `${RG}/providers/Microsoft.AlertsManagement/alerts/${guid}?api-version=2024-01-01-preview`);
    expect(still.body).toMatchObject({ properties: { essentials: { alertState: 'New' } } });
  });
});
