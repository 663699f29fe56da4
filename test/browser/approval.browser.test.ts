/**
 * Approvals in a real Chromium against `elevate serve` (sandbox mode, its own sandbox): the agent
 * raises a container app revision restart its Reader-level identity cannot do (through the agent
 * API, with a ManagedIdentityCredential token, from a separate process); the administrator signs
 * in, sees it pending, approves, signs in afresh, and the restart runs in the sandbox's ARM as
 * them. A Standard User sees no Approve button and is refused a direct POST; the personal-account
 * administrator is refused with the explanation; a denial's reason reaches the agent's long-poll.
 * Screenshots go to test-artifacts/.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityEvent } from '../../src/sandbox/start-sandbox.ts';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { agentProcess, type AgentProcess } from './support/agent-process.ts';
import { launchBrowser } from './support/launch-browser.ts';
import { saveScreenshot } from './support/screenshots.ts';
import { startServiceProcess, type ServiceProcess } from './support/service-process.ts';
import { onSandboxSignInPage, pickSandboxAccount } from './support/sign-in-as.ts';

const AGENT_SCRIPT = fileURLToPath(new URL('../approvals/support/sandbox-agent.ts', import.meta.url));

let service: ServiceProcess;
let browser: Browser;
let agentProc: AgentProcess;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [service, browser] = await Promise.all([startServiceProcess(), launchBrowser()]);
  agentProc = agentProcess(service);
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await service?.stop();
});

/** The agent process: one command, one JSON answer. */
function agent<T>(...args: string[]): Promise<{ status: number; body: T }> {
  return agentProc.run<{ status: number; body: T }>(AGENT_SCRIPT, args);
}

function restartCheckout(justification: string) {
  const checkout = sandboxInfo().tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === 'ca-checkout')!;
  const revision = checkout.children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
  return { method: 'POST', path: `${revision.id}/restart`, apiVersion: '2024-03-01', justification, trigger: { kind: 'chat', ref: 'thread-2077', requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' }, idempotencyKey: randomUUID() };
}

async function raise(justification: string): Promise<OperationRequest> {
  const res = await agent<OperationRequest>('submit', JSON.stringify(restartCheckout(justification)));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.state).toBe('pending_elevation');
  return res.body;
}

async function newPage(): Promise<{ page: Page; consoleErrors: string[] }> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return { page, consoleErrors };
}

/** Opens an Elevate page, signing in through the sandbox page if Elevate sends the browser there. */
async function openSignedIn(page: Page, path: string, upn: string): Promise<void> {
  await page.goto(`${service.url}${path}`);
  if (onSandboxSignInPage(page)) await pickSandboxAccount(page, upn);
}

describe('approvals in a browser', () => {
  it('an administrator approves a pending elevation, signs in afresh, and the restart runs in ARM as them', async () => {
    const admin = sandboxUser('admin');
    const raised = await raise('revision ca-checkout--v1 unhealthy after deploy');
    const { page, consoleErrors } = await newPage();
    await openSignedIn(page, '/approvals', admin.upn);
    expect(page.url()).toBe(`${service.url}/approvals`);
    const row = page.locator(`[data-testid="pending-row"][data-request-id="${raised.id}"]`);
    expect(await row.isVisible()).toBe(true);
    expect(Number(await page.getByTestId('pending-count').textContent())).toBeGreaterThanOrEqual(1);
    await saveScreenshot(page, 'approval-01-pending-list');

    await row.getByTestId('open-request').click();
    await page.waitForURL(`${service.url}/approvals/${raised.id}`);
    expect(await page.getByTestId('op-method').textContent()).toBe('POST');
    expect(await page.getByTestId('op-path').textContent()).toBe(raised.operation.path);
    expect(await page.getByTestId('op-api-version').textContent()).toBe('2024-03-01');
    expect((await page.getByTestId('missing-action').textContent())?.toLowerCase()).toBe('microsoft.app/containerapps/revisions/restart/action');
    expect(await page.getByTestId('granting-roles').textContent()).toContain('Container Apps Contributor');
    expect(await page.getByTestId('time-left').textContent()).toMatch(/left$/);
    expect(await page.getByTestId('justification').textContent()).toBe('revision ca-checkout--v1 unhealthy after deploy');
    await saveScreenshot(page, 'approval-02-request-page');

    await page.getByTestId('approve-reason').fill('INC-2077: restart the unhealthy revision');
    await page.getByTestId('approve-button').click();
    // A fresh sign-in, even though the tenant session is live: prompt=login.
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    expect(new URL(page.url()).searchParams.get('prompt')).toBe('login');
    await saveScreenshot(page, 'approval-03-fresh-sign-in');
    await pickSandboxAccount(page, admin.upn);
    await page.waitForURL(`${service.url}/approvals/${raised.id}?done=executed`);
    expect(await page.getByTestId('request-state').getAttribute('data-state')).toBe('succeeded');
    const correlationId = await page.getByTestId('arm-correlation-id').textContent();
    expect(await page.getByTestId('acting-identity').textContent()).toBe(admin.oid);
    await saveScreenshot(page, 'approval-04-executed');

    const seen = await agent<OperationRequest>('wait', raised.id, '0');
    expect(seen.body).toMatchObject({ state: 'succeeded', actingIdentity: admin.oid, arm: { status: 200, correlationId } });
    // The sandbox's ARM did it, as the administrator, exactly once under that correlation id.
    const activity = await agent<{ value: ActivityEvent[] }>('activity');
    const events = activity.body.value.filter((e) => e.correlationId === correlationId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ callerObjectId: admin.oid, status: 'Succeeded', httpMethod: 'POST' });
    expect(events[0]!.resourceId.toLowerCase()).toBe(raised.operation.path.replace(/\/restart$/, '').toLowerCase());
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });

  it('shows a Standard User no Approve button and refuses their direct POST with 403', async () => {
    const standard = sandboxUser('standard');
    const raised = await raise('standard user check');
    const { page } = await newPage();
    await openSignedIn(page, `/approvals/${raised.id}`, standard.upn);
    expect(page.url()).toBe(`${service.url}/approvals/${raised.id}`);
    expect(await page.getByTestId('approve-form').count()).toBe(0);
    expect(await page.getByTestId('deny-form').count()).toBe(0);
    expect(await page.getByTestId('no-decision-rights').isVisible()).toBe(true);
    await saveScreenshot(page, 'approval-05-standard-user-no-approve');

    // The form posted anyway, with the user's own valid CSRF token from the page.
    const token = await page.locator('input[name="_csrf"]').first().getAttribute('value');
    const res = await page.request.post(`${service.url}/approvals/${raised.id}/approve`, { form: { _csrf: token!, reason: 'let me' }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('SRE Agent Administrator');
    expect((await agent<OperationRequest>('wait', raised.id, '0')).body.state).toBe('pending_elevation');
  });

  it('refuses the personal-account administrator with the explanation', async () => {
    const personal = sandboxUser('personal');
    const { page } = await newPage();
    await openSignedIn(page, '/approvals', personal.upn);
    expect(await page.getByTestId('signin-refused').getAttribute('data-reason')).toBe('personal-account');
    expect(await page.getByTestId('refusal-explanation').textContent()).toMatch(/personal Microsoft account/);
    await saveScreenshot(page, 'approval-06-personal-account-refused');
    // No session came of it: the list sends the browser to sign in again (and the tenant's
    // silent sign-in of the same account is refused again).
    await page.goto(`${service.url}/approvals`);
    expect(page.url()).not.toBe(`${service.url}/approvals`);
    expect(await page.getByTestId('pending-list').count()).toBe(0);
  });

  it('updates /approvals live through Server-Sent Events: the new request appears without a reload, no polling, no CSP violation', async () => {
    const admin = sandboxUser('admin');
    const { page, consoleErrors } = await newPage();
    const requests: Array<{ url: string; type: string }> = [];
    page.on('request', (r) => requests.push({ url: r.url(), type: r.resourceType() }));
    await openSignedIn(page, '/approvals', admin.upn);
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations += 1;
    });
    // The stream is open before anything is raised.
    await page.getByTestId('pending-count').and(page.locator('[data-live="on"]')).waitFor({ state: 'attached' });
    const before = Number(await page.getByTestId('pending-count').textContent());
    const raised = await raise('live update over SSE');
    // No clock is moved and nothing is reloaded: the server's event brings the row.
    await page.locator(`[data-testid="pending-row"][data-request-id="${raised.id}"]`).waitFor({ state: 'visible' });
    await page.getByTestId('pending-count').filter({ hasText: new RegExp(`^\\s*${before + 1}\\s*$`) }).waitFor({ state: 'visible' });
    expect(navigations).toBe(0);
    expect(await page.getByTestId('pending-count-changed').isVisible()).toBe(false);
    expect(requests.filter((r) => r.url.endsWith('/approvals/events')).map((r) => r.type)).toEqual(['eventsource']);
    expect(requests.filter((r) => r.url.includes('/approvals/count'))).toEqual([]);
    await saveScreenshot(page, 'approval-07-live-update');
    // CSP violations are reported as console errors; there are none.
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });

  it('a denial with a reason reaches the agent’s long-poll', async () => {
    const admin = sandboxUser('admin');
    const raised = await raise('deny me');
    const waiting = agent<OperationRequest>('wait', raised.id, '60');
    const { page } = await newPage();
    await openSignedIn(page, `/approvals/${raised.id}`, admin.upn);
    await page.getByTestId('deny-reason').fill('Change freeze until Monday; use the runbook.');
    await page.getByTestId('deny-button').click();
    await page.waitForURL(`${service.url}/approvals/${raised.id}?done=denied`);
    expect(await page.getByTestId('request-state').getAttribute('data-state')).toBe('denied');
    expect(await page.getByTestId('state-reason').textContent()).toBe('Change freeze until Monday; use the runbook.');
    await saveScreenshot(page, 'approval-07-denied');
    const seen = await waiting;
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ state: 'denied', stateReason: 'Change freeze until Monday; use the runbook.' });
  });
});
