/**
 * An AI agent connected to Elevate, and an administrator approving in a real Chromium while the
 * agent waits. Three ways in, each against the whole service (in-process, its own sandbox) with
 * the agent's token from ManagedIdentityCredential:
 * - the typed client: submit, then wait() long-polls while the administrator approves;
 * - MCP over Streamable HTTP: elevate_run_operation answers waiting_for_approval with the
 *   approval page, the administrator opens that link and approves, elevate_wait returns ARM's result;
 * - MCP over stdio (`elevate mcp` as a child process): the same.
 * Every approval runs the restart once in the sandbox's ARM as the administrator.
 */
import { randomUUID } from 'node:crypto';
import { ManagedIdentityCredential } from '@azure/identity';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElevateClient } from '../../src/client/elevate-client.ts';
import type { OperationInput } from '../../src/client/api-types.ts';
import { startFullService, type FullService } from '../support/full-service.ts';
import { httpSession, stdioSession, type McpSession } from '../mcp/support/mcp-clients.ts';
import { launchBrowser } from './support/launch-browser.ts';
import { saveScreenshot } from './support/screenshots.ts';
import { onSandboxSignInPage, pickSandboxAccount } from './support/sign-in-as.ts';

let fs: FullService;
let browser: Browser;
let context: BrowserContext;
const sessions: McpSession[] = [];

const tenant = () => fs.service.context.sandbox!.tenant;
const admin = () => tenant().users.find((u) => u.key === 'admin')!;
const scope = () => `${tenant().elevateApp.apiAudience}/.default`;
const revision = () =>
  tenant()
    .resourceGroups.find((g) => g.name === 'rg-sre-apps')!
    .resources.find((r) => r.name === 'ca-checkout')!
    .children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
const restart = (justification: string): OperationInput => ({
  method: 'POST',
  path: `${revision().id}/restart`,
  apiVersion: '2024-03-01',
  justification,
  trigger: { kind: 'chat', ref: 'thread-2077', requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' },
});

beforeAll(async () => {
  // The service points this worker's managed-identity endpoint at its own sandbox before any token is asked for.
  [fs, browser] = await Promise.all([startFullService(), launchBrowser()]);
  context = await browser.newContext();
}, 180_000);

afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  await context?.close().catch(() => undefined);
  await browser?.close();
  await fs?.close();
});

/** The administrator opens the request's page (signing in if asked), approves, signs in afresh, and it runs. */
async function approveInBrowser(pageUrl: string, screenshot: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(pageUrl);
  if (onSandboxSignInPage(page)) await pickSandboxAccount(page, admin().upn);
  expect(page.url()).toBe(pageUrl);
  await page.getByTestId('approve-reason').fill('INC-2077: restart the unhealthy revision');
  await page.getByTestId('approve-button').click();
  await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
  await pickSandboxAccount(page, admin().upn);
  await page.waitForURL(`${pageUrl}?done=executed`);
  expect(await page.getByTestId('request-state').getAttribute('data-state')).toBe('succeeded');
  await saveScreenshot(page, screenshot);
  return page;
}

describe('an agent waits while an administrator approves in the browser', () => {
  it('typed client: wait() long-polls and returns the succeeded request, run as the administrator', async () => {
    const client = createElevateClient({ baseUrl: fs.url, scope: scope(), credential: new ManagedIdentityCredential({ clientId: tenant().agent.uamiClientId }) });
    const submitted = await client.submit({ ...restart('client: revision unhealthy'), idempotencyKey: randomUUID() });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.error));
    expect(submitted.value.state).toBe('pending_elevation');

    const waiting = client.wait(submitted.value.id, { timeoutSeconds: 120 });
    await approveInBrowser(`${fs.url}/approvals/${submitted.value.id}`, 'agent-connect-01-client-approved');
    const done = await waiting;
    if (!done.ok) throw new Error(JSON.stringify(done.error));
    expect(done.value).toMatchObject({ state: 'succeeded', actingIdentity: admin().oid, arm: { status: 200 } });
  });

  it('MCP over Streamable HTTP: waiting_for_approval with the page link; after approval elevate_wait returns the result', async () => {
    const token = (await new ManagedIdentityCredential({ clientId: tenant().agent.uamiClientId }).getToken(scope()))!.token;
    const mcp = await httpSession(`${fs.url}/api/v1/mcp`, token);
    sessions.push(mcp);
    const pending = await mcp.call('elevate_run_operation', { ...restart('mcp http: revision unhealthy'), waitSeconds: 1 });
    expect(pending.data).toMatchObject({ outcome: 'waiting_for_approval', state: 'pending_elevation' });
    const approvalPage = String(pending.data.approvalPage);
    expect(approvalPage).toBe(`${fs.url}/approvals/${String(pending.data.requestId)}`);

    const waiting = mcp.call('elevate_wait', { requestId: pending.data.requestId, waitSeconds: 60 });
    await approveInBrowser(approvalPage, 'agent-connect-02-mcp-http-approved');
    const done = await waiting;
    expect(done.data).toMatchObject({ outcome: 'succeeded', requestId: pending.data.requestId, actingIdentity: admin().oid, arm: { status: 200 } });
  });

  it('MCP over stdio (`elevate mcp`): the same, through the typed client in the child process', async () => {
    const mcp = await stdioSession({ ELEVATE_URL: fs.url, ELEVATE_API_SCOPE: scope(), ELEVATE_AGENT_CLIENT_ID: tenant().agent.uamiClientId });
    sessions.push(mcp);
    const pending = await mcp.call('elevate_run_operation', { ...restart('mcp stdio: revision unhealthy'), waitSeconds: 0 });
    expect(pending.data, mcp.stderr()).toMatchObject({ outcome: 'waiting_for_approval', state: 'pending_elevation' });

    const waiting = mcp.call('elevate_wait', { requestId: pending.data.requestId, waitSeconds: 60 });
    await approveInBrowser(String(pending.data.approvalPage), 'agent-connect-03-mcp-stdio-approved');
    const done = await waiting;
    expect(done.data).toMatchObject({ outcome: 'succeeded', actingIdentity: admin().oid, arm: { status: 200 } });
    expect(done.text).toContain('"meaning"');
  });
});
