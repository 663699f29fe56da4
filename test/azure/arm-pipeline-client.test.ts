import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AzureEndpoints } from '../../src/azure/azure-endpoints.ts';
import { ArmTransportError, createArmPipelineClient, type ArmPipelineClient } from '../../src/azure/arm-pipeline-client.ts';
import { ArmRequestValidationError } from '../../src/azure/arm-request-target.ts';
import { staticTokenCredential } from '../../src/azure/static-token-credential.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { startHttpsServer } from './tls-fixture.ts';

const TOKEN = 'arm-test-token-value';
const RG = '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-sre-apps';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  correlationId: string | undefined;
  body: string;
}
let seen: Seen[] = [];
/** Per-test route table: path (without query) -> handler returning [status, headers, body]. */
type Reply = [number, Record<string, string>, unknown?];
let routes: Record<string, (req: IncomingMessage, n: number) => Reply> = {};
const hits: Record<string, number> = {};

let arm: Awaited<ReturnType<typeof startHttpsServer>>;
let other: Awaited<ReturnType<typeof startHttpsServer>>;
let otherHits = 0;
let logLines: string[] = [];

function handler(req: IncomingMessage, res: ServerResponse) {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const path = new URL(req.url!, 'https://x').pathname;
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, correlationId: req.headers['x-ms-correlation-request-id'] as string | undefined, body });
    hits[path] = (hits[path] ?? 0) + 1;
    const route = routes[`${req.method} ${path}`];
    const [status, headers, payload] = route ? route(req, hits[path]!) : [404, {}, { error: { code: 'NotFound', message: 'no route' } }];
    res.writeHead(status, { 'content-type': 'application/json', 'x-ms-request-id': `req-${seen.length}`, ...headers });
    res.end(payload === undefined ? '' : JSON.stringify(payload));
  });
}

let client: ArmPipelineClient;
let metrics: ReturnType<typeof createMetrics>;

beforeAll(async () => {
  arm = await startHttpsServer(handler);
  other = await startHttpsServer((_req, res) => {
    otherHits += 1;
    res.end('{}');
  });
});
afterAll(async () => {
  await arm.close();
  await other.close();
});
beforeEach(() => {
  seen = [];
  routes = {};
  for (const k of Object.keys(hits)) delete hits[k];
  logLines = [];
  metrics = createMetrics();
  const logger = createLogger('debug', new Writable({ write: (chunk, _enc, cb) => (logLines.push(String(chunk)), cb()) }) as never);
  client = createArmPipelineClient(staticTokenCredential(TOKEN, new Date(Date.now() + 3600_000)), endpointsFor(arm.origin), {
    tls: { ca: arm.ca },
    retry: { maxRetries: 2, retryDelayInMs: 5, maxRetryDelayInMs: 20 },
    logger,
    metrics,
  });
});

function endpointsFor(origin: string): AzureEndpoints {
  return { armEndpoint: origin, armScope: 'https://management.azure.com/.default' } as AzureEndpoints;
}
const asyncUrl = () => `${arm.origin}/providers/Microsoft.Resources/operationStatuses/op1?api-version=2022-01-01`;
const wait = { timeoutMs: 10_000, pollIntervalMs: 5 };

describe('armRequest', () => {
  it('sends a GET with bearer token, api-version and a fresh correlation id, and returns the parsed response', async () => {
    routes[`GET ${RG}`] = () => [200, {}, { id: RG, name: 'rg-sre-apps' }];
    const a = await client.armRequest({ method: 'GET', path: RG, apiVersion: '2021-04-01' });
    const b = await client.armRequest({ method: 'GET', path: RG, apiVersion: '2021-04-01' });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ id: RG, name: 'rg-sre-apps' });
    expect(a.requestId).toBe('req-1');
    expect(seen[0]!.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]!.url).toBe(`${RG}?api-version=2021-04-01`);
    expect(seen[0]!.correlationId).toBe(a.correlationId);
    expect(a.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.correlationId).not.toBe(a.correlationId);
    expect((await metrics.registry.getSingleMetricAsString('elevate_arm_requests_total'))).toContain('purpose="generic",status="200"} 2');
  });

  it('sends a JSON body and keeps a caller correlation id', async () => {
    routes[`PUT ${RG}`] = () => [200, {}, { properties: { provisioningState: 'Succeeded' } }];
    const r = await client.armRequest({ method: 'PUT', path: RG, apiVersion: '2021-04-01', body: { location: 'westeurope' }, correlationId: 'corr-1' });
    expect(r.correlationId).toBe('corr-1');
    expect(seen[0]!.correlationId).toBe('corr-1');
    expect(JSON.parse(seen[0]!.body)).toEqual({ location: 'westeurope' });
  });

  it('returns ARM errors as responses rather than throwing', async () => {
    routes[`GET ${RG}`] = () => [403, {}, { error: { code: 'AuthorizationFailed', message: 'no' } }];
    const r = await client.armRequest({ method: 'GET', path: RG, apiVersion: '2021-04-01' });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ error: { code: 'AuthorizationFailed', message: 'no' } });
  });

  it('retries a transient 503', async () => {
    routes[`GET ${RG}`] = (_req, n) => (n === 1 ? [503, {}, { error: { code: 'ServiceUnavailable', message: 'busy' } }] : [200, {}, { ok: true }]);
    const r = await client.armRequest({ method: 'GET', path: RG, apiVersion: '2021-04-01' });
    expect(r.status).toBe(200);
    expect(seen).toHaveLength(2);
  });

  it('sends names ARM accepts (spaces, ;, *, @) percent-encoded per segment, as the SDKs do', async () => {
    const alert = `${RG}/providers/Microsoft.Insights/metricAlerts/High CPU on ca-checkout`;
    const item = `${RG}/providers/Microsoft.RecoveryServices/vaults/rsv/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg;vm/protectedItems/VM;iaasvmcontainerv2;rg;vm`;
    const record = `${RG}/providers/Microsoft.Network/dnszones/contoso.com/A/*`;
    const apex = `${RG}/providers/Microsoft.Network/dnszones/contoso.com/TXT/@`;
    for (const path of [alert, item, record, apex]) routes[`GET ${path.split('/').map(encodeURIComponent).join('/')}`] = () => [200, {}, { ok: true }];
    for (const path of [alert, item, record, apex]) expect((await client.armRequest({ method: 'GET', path, apiVersion: '2024-03-01' })).status).toBe(200);
    expect(seen.map((r) => r.url.split('?')[0])).toEqual([
      `${RG}/providers/Microsoft.Insights/metricAlerts/High%20CPU%20on%20ca-checkout`,
      `${RG}/providers/Microsoft.RecoveryServices/vaults/rsv/backupFabrics/Azure/protectionContainers/IaasVMContainer%3Biaasvmcontainerv2%3Brg%3Bvm/protectedItems/VM%3Biaasvmcontainerv2%3Brg%3Bvm`,
      `${RG}/providers/Microsoft.Network/dnszones/contoso.com/A/*`,
      `${RG}/providers/Microsoft.Network/dnszones/contoso.com/TXT/%40`,
    ]);
  });

  it('refuses hostile paths, methods and api-versions before any request', async () => {
    const bad: Array<[string, string, string]> = [
      ['GET', `${RG}/../../providers/x`, '2021-04-01'],
      ['GET', `${RG}/%2e%2e/x`, '2021-04-01'],
      ['GET', `${RG}?api-version=1999-01-01`, '2021-04-01'],
      ['GET', `${RG}#frag`, '2021-04-01'],
      ['GET', `${RG}//x`, '2021-04-01'],
      ['GET', `${RG}/a%2Fb`, '2021-04-01'],
      ['GET', `${RG}\r\nHost: evil`, '2021-04-01'],
      ['GET', 'subscriptions/x', '2021-04-01'],
      ['GET', '//evil.example.com/x', '2021-04-01'],
      ['GET', '@evil.example.com/x', '2021-04-01'],
      ['GET', `${RG}/a%20b`, '2021-04-01'],
      ['GET', `${RG}/a\tb`, '2021-04-01'],
      ['GET', `${RG}/a\u00a0b`, '2021-04-01'],
      ['GET', `${RG}/a&b`, '2021-04-01'],
      ['GET', RG, '2021-04-01&$filter=x'],
      ['GET', RG, 'latest'],
      ['TRACE', RG, '2021-04-01'],
    ];
    for (const [method, path, apiVersion] of bad) {
      await expect(client.armRequest({ method: method as 'GET', path, apiVersion }), `${method} ${path} ${apiVersion}`).rejects.toBeInstanceOf(ArmRequestValidationError);
    }
    await expect(client.armRequest({ method: 'GET', path: RG, apiVersion: '2021-04-01', query: { 'api-version': 'x' } })).rejects.toBeInstanceOf(ArmRequestValidationError);
    expect(seen).toHaveLength(0);
  });

  it('never follows a URL to another host', async () => {
    await expect(client.armGetUrl(`${other.origin}/x`, 'c')).rejects.toBeInstanceOf(ArmRequestValidationError);
    await expect(client.armGetUrl(`http://${new URL(arm.origin).host}/x`, 'c')).rejects.toBeInstanceOf(ArmRequestValidationError);
    expect(otherHits).toBe(0);
  });

  it('reports a transport failure with the correlation id and no token', async () => {
    const dead = createArmPipelineClient(staticTokenCredential(TOKEN, new Date(Date.now() + 60_000)), endpointsFor('https://localhost:1'), { retry: { maxRetries: 0 } });
    const err = await dead.armRequest({ method: 'GET', path: RG, apiVersion: '2021-04-01', correlationId: 'corr-dead' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArmTransportError);
    expect((err as ArmTransportError).correlationId).toBe('corr-dead');
    expect((err as Error).message).not.toContain(TOKEN);
  });

  it('refuses to use an expired one-off token', async () => {
    const expired = createArmPipelineClient(staticTokenCredential(TOKEN, new Date(Date.now() - 1000)), endpointsFor(arm.origin), { tls: { ca: arm.ca }, retry: { maxRetries: 0 } });
    await expect(expired.armRequest({ method: 'GET', path: RG, apiVersion: '2021-04-01' })).rejects.toBeInstanceOf(ArmTransportError);
    expect(seen).toHaveLength(0);
  });

  it('never writes the token or Authorization header to its logs', async () => {
    routes[`GET ${RG}`] = () => [200, {}, {}];
    await client.armRequest({ method: 'GET', path: RG, apiVersion: '2021-04-01' });
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(TOKEN);
    expect(logLines.join('').toLowerCase()).not.toContain('authorization');
  });
});

describe('armRequestAndWait (long-running operations)', () => {
  it('follows Azure-AsyncOperation to Succeeded, then GETs the resource, on one correlation id', async () => {
    routes[`PUT ${RG}`] = (_req, n) =>
      n === 1 ? [201, { 'azure-asyncoperation': asyncUrl(), 'retry-after': '0' }, { properties: { provisioningState: 'Accepted' } }] : [200, {}, {}];
    routes['GET /providers/Microsoft.Resources/operationStatuses/op1'] = (_req, n) => [200, {}, { status: n < 3 ? 'InProgress' : 'Succeeded' }];
    routes[`GET ${RG}`] = () => [200, {}, { id: RG, properties: { provisioningState: 'Succeeded' } }];
    const result = await client.armRequestAndWait({ method: 'PUT', path: RG, apiVersion: '2021-04-01', body: { location: 'x' } }, wait);
    expect(result.state).toBe('succeeded');
    expect(result.last.body).toEqual({ id: RG, properties: { provisioningState: 'Succeeded' } });
    expect(result.polls).toBe(4);
    expect(new Set(seen.map((s) => s.correlationId)).size).toBe(1);
    expect(seen.every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('follows Location (202 until done) for a POST action', async () => {
    const loc = `${arm.origin}/providers/Microsoft.Compute/locations/westeurope/operations/op2?api-version=2023-03-01`;
    routes[`POST ${RG}/providers/Microsoft.Compute/virtualMachines/vm1/restart`] = () => [202, { location: loc }];
    routes['GET /providers/Microsoft.Compute/locations/westeurope/operations/op2'] = (_req, n) => (n < 3 ? [202, { location: loc }] : [200, {}, { result: 'restarted' }]);
    const result = await client.armRequestAndWait({ method: 'POST', path: `${RG}/providers/Microsoft.Compute/virtualMachines/vm1/restart`, apiVersion: '2023-03-01' }, wait);
    expect(result.state).toBe('succeeded');
    expect(result.last.body).toEqual({ result: 'restarted' });
    expect(result.polls).toBe(3);
  });

  it('follows Location for a DELETE that ends in 204', async () => {
    const loc = `${arm.origin}/operationResults/del1?api-version=2021-04-01`;
    routes[`DELETE ${RG}`] = () => [202, { location: loc }];
    routes['GET /operationResults/del1'] = (_req, n) => (n < 2 ? [202, {}] : [204, {}]);
    const result = await client.armRequestAndWait({ method: 'DELETE', path: RG, apiVersion: '2021-04-01' }, wait);
    expect(result.state).toBe('succeeded');
    expect(result.last.status).toBe(204);
  });

  it('polls a PUT whose body says provisioning is still under way', async () => {
    routes[`PUT ${RG}`] = () => [200, {}, { properties: { provisioningState: 'Updating' } }];
    let gets = 0;
    routes[`GET ${RG}`] = () => [200, {}, { properties: { provisioningState: ++gets < 2 ? 'Updating' : 'Succeeded' } }];
    const result = await client.armRequestAndWait({ method: 'PUT', path: RG, apiVersion: '2021-04-01', body: {} }, wait);
    expect(result.state).toBe('succeeded');
    expect(result.polls).toBe(2);
  });

  it('reports Failed and Canceled with ARM error details', async () => {
    routes[`PUT ${RG}`] = () => [201, { 'azure-asyncoperation': asyncUrl() }, {}];
    routes['GET /providers/Microsoft.Resources/operationStatuses/op1'] = () => [200, {}, { status: 'Failed', error: { code: 'QuotaExceeded', message: 'quota' } }];
    const failed = await client.armRequestAndWait({ method: 'PUT', path: RG, apiVersion: '2021-04-01', body: {} }, wait);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'QuotaExceeded', message: 'quota' } });

    routes['GET /providers/Microsoft.Resources/operationStatuses/op1'] = () => [200, {}, { status: 'Canceled' }];
    expect((await client.armRequestAndWait({ method: 'PUT', path: RG, apiVersion: '2021-04-01', body: {} }, wait)).state).toBe('canceled');
  });

  it('reports an immediate ARM error as failed without polling', async () => {
    routes[`PUT ${RG}`] = () => [409, {}, { error: { code: 'Conflict', message: 'busy' } }];
    const result = await client.armRequestAndWait({ method: 'PUT', path: RG, apiVersion: '2021-04-01', body: {} }, wait);
    expect(result).toMatchObject({ state: 'failed', polls: 0, error: { code: 'Conflict' } });
  });

  it('returns running with the poll URL when the deadline comes first', async () => {
    routes[`PUT ${RG}`] = () => [201, { 'azure-asyncoperation': asyncUrl() }, {}];
    routes['GET /providers/Microsoft.Resources/operationStatuses/op1'] = () => [200, {}, { status: 'InProgress' }];
    const result = await client.armRequestAndWait({ method: 'PUT', path: RG, apiVersion: '2021-04-01', body: {} }, { timeoutMs: 300, pollIntervalMs: 20 });
    expect(result.state).toBe('running');
    expect(result.pollUrl).toBe(asyncUrl());
    expect(result.polls).toBeGreaterThan(0);
  });

  it('does not follow a polling URL on another host (the token would go with it)', async () => {
    routes[`PUT ${RG}`] = () => [201, { 'azure-asyncoperation': `${other.origin}/steal` }, {}];
    const result = await client.armRequestAndWait({ method: 'PUT', path: RG, apiVersion: '2021-04-01', body: {} }, wait);
    expect(result).toMatchObject({ state: 'failed', error: { code: 'UntrustedPollUrl' } });
    expect(otherHits).toBe(0);
  });

  it('a plain synchronous success is succeeded with no polls', async () => {
    routes[`GET ${RG}`] = () => [200, {}, { id: RG }];
    expect(await client.armRequestAndWait({ method: 'GET', path: RG, apiVersion: '2021-04-01' }, wait)).toMatchObject({ state: 'succeeded', polls: 0 });
  });
});
