/**
 * Elevate's MCP endpoint over Streamable HTTP (/api/v1/mcp) in the whole service as `elevate
 * serve` composes it, driven by the MCP SDK's own client with the agent's token from
 * ManagedIdentityCredential. It authenticates exactly as the agent API: the same refusals, the
 * same audit entries; hostile arguments reach the API's validation and are refused and audited.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFullService, type FullService } from '../support/full-service.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readmeBlock, writeExample } from '../client/support/readme-blocks.ts';
import { httpSession, stdioSession, type McpSession } from './support/mcp-clients.ts';

let fs: FullService;
let agentToken: string;
let mcp: McpSession;

const tenant = () => fs.service.context.sandbox!.tenant;
const checkout = () => tenant().resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.find((r) => r.name === 'ca-checkout')!;
const revision = () => checkout().children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
const readCheckout = () => ({ method: 'GET', path: checkout().id, apiVersion: '2024-03-01', trigger: { kind: 'chat', ref: 'conv-11' } });
const restart = () => ({ method: 'POST', path: `${revision().id}/restart`, apiVersion: '2024-03-01', justification: 'revision unhealthy after deploy', trigger: { kind: 'chat', ref: 'thread-5001' } });
const mcpUrl = () => `${fs.url}/api/v1/mcp`;

/** A token for Elevate's API (or another scope) from a managed identity of the service's sandbox. */
async function tokenOf(clientId: string, scope = `${tenant().elevateApp.apiAudience}/.default`): Promise<string> {
  const t = await new ManagedIdentityCredential({ clientId }).getToken(scope);
  if (!t) throw new Error('no token');
  return t.token;
}

async function auditEntries(eventType: string): Promise<Array<{ details: Record<string, unknown>; agent_id: string | null }>> {
  const rows = await fs.service.context.store.all<{ details: string; agent_id: string | null }>('SELECT details, agent_id FROM audit_log WHERE event_type = ? ORDER BY seq DESC', [eventType]);
  return rows.map((r) => ({ details: JSON.parse(r.details) as Record<string, unknown>, agent_id: r.agent_id }));
}

/** One JSON-RPC tools/call POST, as any MCP client sends it. */
function rpc(token: string | undefined, body: unknown) {
  return fetch(mcpUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

beforeAll(async () => {
  // Before any managed-identity call in this worker: the service points the SDK at its own sandbox's IMDS.
  fs = await startFullService();
  agentToken = await tokenOf(tenant().agent.uamiClientId);
  mcp = await httpSession(mcpUrl(), agentToken);
}, 120_000);

afterAll(async () => {
  await mcp?.close();
  await fs?.close();
});

describe('MCP over Streamable HTTP', () => {
  it('lists the five tools with schemas that compile', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['elevate_cancel', 'elevate_decide', 'elevate_list_requests', 'elevate_run_operation', 'elevate_wait']);
    const ajv = new Ajv2020({ strict: false });
    for (const t of tools) ajv.compile(t.inputSchema);
  });

  it("runs a read that executes with the agent's identity and answers with ARM's result", async () => {
    const r = await mcp.call('elevate_run_operation', readCheckout());
    expect(r.data).toMatchObject({ outcome: 'succeeded', arm: { status: 200 } });
    expect(r.data.actingIdentity).toMatch(/^agent:/);
    const [submitted] = await auditEntries('operation.requested');
    expect(submitted?.agent_id).toBeTruthy();
  });

  it('a write is waiting_for_approval with the approval page on this service', async () => {
    const r = await mcp.call('elevate_run_operation', { ...restart(), waitSeconds: 0 });
    expect(r.data).toMatchObject({ outcome: 'waiting_for_approval', state: 'pending_elevation' });
    expect(r.data.approvalPage).toBe(`${fs.url}/approvals/${String(r.data.requestId)}`);
    expect((await mcp.call('elevate_cancel', { requestId: r.data.requestId })).data).toMatchObject({ outcome: 'cancelled' });
  });

  it('answers GET with 405: the endpoint is stateless, there is no server stream', async () => {
    const res = await fetch(mcpUrl(), { headers: { authorization: `Bearer ${agentToken}`, accept: 'text/event-stream' } });
    expect(res.status).toBe(405);
  });
});

describe("the README's Streamable HTTP example", () => {
  it('connects with a fresh managed-identity token per request and lists the tools', async () => {
    const source = `${readmeBlock('Connect an AI agent', 'ts')}\nconsole.log(tools.map((t) => t.name).sort().join(','));\nawait client.close();\n`;
    const file = writeExample('mcp-http-client.mts', source);
    // The child inherits this worker's environment, whose managed-identity endpoint is the service's sandbox.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], {
      env: { ...process.env, ELEVATE_URL: fs.url, ELEVATE_API_SCOPE: `${tenant().elevateApp.apiAudience}/.default`, AZURE_CLIENT_ID: tenant().agent.uamiClientId },
    });
    expect(stdout.trim()).toBe('elevate_cancel,elevate_decide,elevate_list_requests,elevate_run_operation,elevate_wait');
  });
});

describe('refusals: exactly as the agent API', () => {
  it('no token: 401 with the same challenge and body as /api/v1/operations, and the SDK client cannot connect', async () => {
    const viaMcp = await rpc(undefined, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const viaApi = await fetch(`${fs.url}/api/v1/operations`);
    expect(viaMcp.status).toBe(401);
    expect(viaMcp.headers.get('www-authenticate')).toBe(viaApi.headers.get('www-authenticate'));
    expect(await viaMcp.json()).toEqual(await viaApi.json());
    await expect(httpSession(mcpUrl(), undefined)).rejects.toThrow(/401|Unauthorized/i);
  });

  it("a token for another audience: 401 invalid_token, audited as the API's refusal", async () => {
    const armToken = await tokenOf(tenant().agent.uamiClientId, 'https://management.azure.com/.default');
    const viaMcp = await rpc(armToken, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(viaMcp.status).toBe(401);
    const body = (await viaMcp.json()) as { error: { code: string } };
    expect(body.error.code).toBe('invalid_token');
    const [entry] = await auditEntries('api.auth.refused');
    expect(entry?.details).toMatchObject({ reason: 'invalid_token' });
    expect(JSON.stringify(entry)).not.toContain(armToken.split('.')[1]!);
  });

  it('a valid token of an identity that is not a registered agent: 403 not_an_agent, audited with its client id', async () => {
    const mi = tenant().elevateApp.managedIdentity!;
    const token = await tokenOf(mi.clientId);
    const viaMcp = await rpc(token, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'elevate_run_operation', arguments: readCheckout() } });
    expect(viaMcp.status).toBe(403);
    expect(((await viaMcp.json()) as { error: { code: string } }).error.code).toBe('not_an_agent');
    const [entry] = await auditEntries('api.auth.refused');
    expect(entry?.details).toMatchObject({ reason: 'not_an_agent', clientAppId: mi.clientId });
  });

  it('over stdio too: `elevate mcp` running as an identity that is not a registered agent gets not_an_agent, audited', async () => {
    const mi = tenant().elevateApp.managedIdentity!;
    // The child inherits this worker's managed-identity endpoint: the service's sandbox.
    const stdio = await stdioSession({ ELEVATE_URL: fs.url, ELEVATE_API_SCOPE: `${tenant().elevateApp.apiAudience}/.default`, ELEVATE_AGENT_CLIENT_ID: mi.clientId });
    try {
      const r = await stdio.call('elevate_decide', readCheckout());
      expect(r).toMatchObject({ isError: true, data: { outcome: 'refused', error: { status: 403, code: 'not_an_agent' } } });
      const [entry] = await auditEntries('api.auth.refused');
      expect(entry?.details).toMatchObject({ reason: 'not_an_agent', clientAppId: mi.clientId });
    } finally {
      await stdio.close();
    }
  });

  it('hostile arguments: wrong types and unknown fields are invalid_request from the API, audited as operation.refused', async () => {
    const r = await mcp.call('elevate_run_operation', { ...restart(), path: ['not', 'a', 'path'], agentId: 'another-agent', trigger: { kind: 'incident', requestedBy: 7 } });
    expect(r).toMatchObject({ isError: true, data: { outcome: 'refused', error: { status: 400, code: 'invalid_request' } } });
    const fields = (r.data.error as { fields: Array<{ path: string }> }).fields.map((f) => f.path);
    expect(fields).toEqual(expect.arrayContaining(['path', 'agentId', 'trigger.requestedBy']));
    const [entry] = await auditEntries('operation.refused');
    expect(entry?.details).toMatchObject({ code: 'invalid_request' });
    // the refused arguments named another agent; the entry is the token's agent
    expect(entry?.agent_id).toBe((await auditEntries('operation.requested'))[0]?.agent_id);
  });

  it('an oversized message is refused before parsing with payload_too_large (413), audited for the agent', async () => {
    const res = await rpc(agentToken, { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'elevate_decide', arguments: { ...restart(), body: { blob: 'z'.repeat(300_000) } } } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const [entry] = await auditEntries('operation.refused');
    expect(entry?.details).toMatchObject({ code: 'payload_too_large' });
  });
});
