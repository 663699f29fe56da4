import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { agentProcess, type AgentProcess } from './support/agent-process.ts';
import { launchBrowser } from './support/launch-browser.ts';
import { saveScreenshot } from './support/screenshots.ts';
import { startServiceProcess, type ServiceProcess } from './support/service-process.ts';
import { onSandboxSignInPage, pickSandboxAccount, signInAs } from './support/sign-in-as.ts';

/**
 * A real Chromium against `elevate serve` (sandbox mode, its own sandbox), with the real flow:
 * the agent raises a container app revision restart its Reader-level identity cannot do
 * (through the agent API, ManagedIdentityCredential token, separate process); the administrator
 * approves it with a fresh sign-in and it runs in the sandbox's ARM on their behalf. Then the
 * auditor signs in, filters the log to that request, opens its timeline and sees who approved,
 * that it ran with the approver's on-behalf-of token, ARM's correlation id and the
 * token-discarded entry; the overview and verification follow. Screenshots in test-artifacts/.
 */

const AGENT_SCRIPT = fileURLToPath(new URL('../approvals/support/sandbox-agent.ts', import.meta.url));

let service: ServiceProcess;
let browser: Browser;
let dir: string;
let agentProc: AgentProcess;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-audit-browser-'));
  [service, browser] = await Promise.all([
    startServiceProcess({
      ELEVATE_DB_PATH: join(dir, 'elevate.db'),
      ELEVATE_AUDIT_CHECKPOINT_KEY: join(dir, 'keys', 'checkpoint.pem'),
      ELEVATE_AUDIT_ARCHIVE_DIR: join(dir, 'archive'),
    }),
    launchBrowser(),
  ]);
  agentProc = agentProcess(service);
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await service?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The agent process (test/approvals/support/sandbox-agent.ts): one command, one JSON answer. */
function agent<T>(...args: string[]): Promise<{ status: number; body: T }> {
  return agentProc.run<{ status: number; body: T }>(AGENT_SCRIPT, args);
}

function restartCheckout() {
  const checkout = sandboxInfo().tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === 'ca-checkout')!;
  const revision = checkout.children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
  return { method: 'POST', path: `${revision.id}/restart`, apiVersion: '2024-03-01', justification: 'revision unhealthy after deploy', trigger: { kind: 'chat', ref: 'thread-3001', requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' }, idempotencyKey: randomUUID() };
}

async function newPage(): Promise<{ page: Page; consoleErrors: string[] }> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') consoleErrors.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  return { page, consoleErrors };
}

/** The real elevation: raised by the agent, approved by the administrator with a fresh sign-in, run as them. */
async function approvedElevation(): Promise<OperationRequest> {
  const admin = sandboxUser('admin');
  const raised = await agent<OperationRequest>('submit', JSON.stringify(restartCheckout()));
  expect(raised.status, JSON.stringify(raised.body)).toBe(201);
  const { page } = await newPage();
  await page.goto(`${service.url}/approvals/${raised.body.id}`);
  if (onSandboxSignInPage(page)) await pickSandboxAccount(page, admin.upn);
  await page.getByTestId('approve-reason').fill('INC-3001: restart the unhealthy revision');
  await page.getByTestId('approve-button').click();
  await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
  await pickSandboxAccount(page, admin.upn);
  await page.waitForURL(`${service.url}/approvals/${raised.body.id}?done=executed`);
  const done = await agent<OperationRequest>('wait', raised.body.id, '0');
  expect(done.body).toMatchObject({ state: 'succeeded', actingIdentity: admin.oid });
  return done.body;
}

describe('the auditor in a browser', () => {
  it('signs in, filters to one request, and reads its timeline: OBO approver and the discarded token', async () => {
    const executed = await approvedElevation();
    const correlationId = executed.arm!.correlationId!;
    const auditor = sandboxUser('auditor');
    const admin = sandboxUser('admin');
    const { page, consoleErrors } = await newPage();

    // An auditor's bookmark: signed out, it leads through the sandbox sign-in and back.
    await page.goto(`${service.url}/audit`);
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    expect(onSandboxSignInPage(page)).toBe(true);
    await signInAs(page, auditor.upn);
    expect(page.url()).toBe(`${service.url}/audit`);
    expect(await page.getByTestId('user-slot').textContent()).toContain(auditor.displayName);

    await page.getByTestId('filter-request').fill(executed.id);
    await page.getByTestId('apply-filters').click();
    await page.waitForURL((url) => url.searchParams.get('requestId') === executed.id);
    const rows = page.getByTestId('audit-entries').locator('tbody tr');
    const events = await rows.getByTestId('cell-event').allTextContents();
    for (const e of ['operation.requested', 'approval.decided', 'operation.transition', 'arm.request', 'token.discarded']) expect(events, events.join(', ')).toContain(e);
    await saveScreenshot(page, 'audit-01-filtered-to-request');

    await rows.first().getByTestId('timeline-link').click();
    await page.waitForURL(`${service.url}/audit/requests/${executed.id}`);
    expect(await page.getByTestId('timeline-approver').textContent()).toContain(admin.upn);
    expect(await page.getByTestId('executed-as').textContent()).toBe(`OBO ${admin.oid}`);
    expect(await page.getByTestId('timeline-correlation').textContent()).toBe(correlationId);
    const discarded = page.getByTestId('timeline-token-discarded');
    expect(await discarded.isVisible()).toBe(true);
    expect(await discarded.textContent()).toContain(`On-behalf-of token discarded (approver ${admin.upn})`);
    expect(await discarded.textContent()).toMatch(/token uti hash [0-9a-f]{64}/);
    expect(await discarded.textContent()).toContain(`ARM correlation id ${correlationId}`);
    await saveScreenshot(page, 'audit-02-request-timeline');

    // The overview chart and the verify page, still without a single CSP violation.
    await page.goto(`${service.url}/audit/overview`);
    expect(await page.getByTestId('outcome-chart').isVisible()).toBe(true);
    expect(await page.getByTestId('outcome-totals').textContent()).toMatch(/Executed with OBO: 1/);
    await saveScreenshot(page, 'audit-03-overview');
    await page.goto(`${service.url}/audit/verify`);
    await page.getByTestId('run-verify').click();
    await page.waitForSelector('[data-testid="verify-result"]');
    expect(await page.getByTestId('verify-result').getAttribute('data-ok')).toBe('true');
    await saveScreenshot(page, 'audit-04-verified');

    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });

  it('refuses the audit log to a Standard User', async () => {
    const { page } = await newPage();
    await page.goto(`${service.url}/audit`);
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    await signInAs(page, sandboxUser('standard').upn);
    expect(await page.getByTestId('forbidden-role').textContent()).toBe('Viewing the audit log needs the SRE Agent Administrator or Auditor role.');
  });
});
