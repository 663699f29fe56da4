/**
 * The pages people read, in a real Chromium against `elevate serve` (sandbox mode): every page
 * (signed out; Administrator, Standard User, Auditor; a request pending, approved, failed and
 * expired) has no serious or critical axe violation; screenshots at 1440 px and 390 px go to
 * test-artifacts/; no table overflows its container at 1440 px and a 50-row audit page of long
 * ARM paths keeps every row within three lines; times read in local time with the UTC value on
 * hover; the Swagger UI runs under the strict CSP. One service and one browser for the file.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { agentProcess, type AgentProcess } from './support/agent-process.ts';
import { launchBrowser } from './support/launch-browser.ts';
import { saveScreenshot } from './support/screenshots.ts';
import { startServiceProcess, type ServiceProcess } from './support/service-process.ts';
import { onSandboxSignInPage, pickSandboxAccount } from './support/sign-in-as.ts';

const AGENT_SCRIPT = fileURLToPath(new URL('../approvals/support/sandbox-agent.ts', import.meta.url));
const BATCH_SCRIPT = fileURLToPath(new URL('./support/sandbox-agent-batch.ts', import.meta.url));
/** Pending requests expire after this long, so one can be seen expired within the file. */
const TTL_SECONDS = 180;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };
/** Three lines of the audit table's text, with cell padding. */
const MAX_AUDIT_ROW_PX = 72;

let service: ServiceProcess;
let browser: Browser;
let agentProc: AgentProcess;
const contexts: BrowserContext[] = [];
/** Request ids by the state the a11y pass looks at. */
const requests: Record<'pending' | 'approved' | 'failed' | 'expired', string> = { pending: '', approved: '', failed: '', expired: '' };
let expiringRaisedAt = 0;

function runNode<T>(script: string, args: string[]): Promise<T> {
  return agentProc.run<T>(script, args);
}

const rg = (name: string) => sandboxInfo().tenant.resourceGroups.find((g) => g.name === name)!;
const resource = (name: string) => sandboxInfo().tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === name)!;

function restartCheckout(justification: string) {
  const revision = resource('ca-checkout').children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
  return { method: 'POST', path: `${revision.id}/restart`, apiVersion: '2024-03-01', justification, trigger: { kind: 'chat', ref: 'thread-4711', requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' }, idempotencyKey: randomUUID() };
}

/** Realistic long ARM paths in the agent's groups (nested children, extension resources): reads the agent may do. */
function longReads(count: number) {
  const apps = rg('rg-sre-apps').id;
  const vms = rg('rg-sre-vms').id;
  const shapes = [
    (i: number) => `${apps}/providers/Microsoft.App/containerApps/ca-checkout/revisions/ca-checkout--rev-${i}-canary-westeurope/replicas/ca-checkout--rev-${i}-7d9f8c6b5-x2k4p`,
    (i: number) => `${vms}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-web-frontend-prod/virtualMachines/${i}/networkInterfaces/nic-vmss-web-frontend-prod-${i}/ipConfigurations/ipconfig-primary`,
    (i: number) => `${vms}/providers/Microsoft.Compute/virtualMachines/vm-batch-worker-${i}/providers/Microsoft.Insights/diagnosticSettings/send-to-log-analytics-workspace-prod-${i}`,
    (i: number) => `${apps}/providers/Microsoft.App/managedEnvironments/cae-sre-apps-prod-westeurope/certificates/wildcard-checkout-contoso-example-${i}`,
  ];
  return Array.from({ length: count }, (_, i) => ({
    method: 'GET',
    path: shapes[i % shapes.length]!(i),
    apiVersion: '2024-03-01',
    trigger: { kind: 'chat', ref: `thread-${i}`, requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' },
    idempotencyKey: randomUUID(),
  }));
}

async function raise(justification: string): Promise<OperationRequest> {
  const res = await runNode<{ status: number; body: OperationRequest }>(AGENT_SCRIPT, ['submit', JSON.stringify(restartCheckout(justification))]);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.state).toBe('pending_elevation');
  return res.body;
}

interface Viewer {
  context: BrowserContext;
  page: Page;
  consoleErrors: string[];
}

async function newViewer(options: { phone?: boolean } = {}): Promise<Viewer> {
  const context = await browser.newContext({ viewport: options.phone ? PHONE : DESKTOP, ...(options.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}) });
  contexts.push(context);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  return { context, page, consoleErrors };
}

async function signedInViewer(userKey: string, options: { phone?: boolean } = {}): Promise<Viewer> {
  const viewer = await newViewer(options);
  await viewer.page.goto(`${service.url}/approvals`);
  if (onSandboxSignInPage(viewer.page)) await pickSandboxAccount(viewer.page, sandboxUser(userKey).upn);
  expect(viewer.page.url()).toBe(`${service.url}/approvals`);
  return viewer;
}

/** axe on the page as it is: serious and critical violations, one line each. */
async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) on ${v.nodes.length} node(s): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** Elements sticking out past the right edge of the viewport (none when the page does not scroll sideways). */
function widerThanViewport(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`[...document.querySelectorAll('body *')]
    .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest('.table-wrap, .audit-table-wrap, .skip-link'))
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).replace(/ /g, '.') : '') + ' ' + Math.round(el.getBoundingClientRect().right) + 'px')`);
}

async function visit(page: Page, path: string): Promise<void> {
  const res = await page.goto(`${service.url}${path}`);
  expect(res, path).not.toBeNull();
}

beforeAll(async () => {
  [service, browser] = await Promise.all([startServiceProcess({ ELEVATE_REQUEST_TTL_SECONDS: String(TTL_SECONDS) }), launchBrowser()]);
  agentProc = agentProcess(service);
  // The request that will be seen expired: raised first, looked at last.
  requests.expired = (await raise('left to expire: nobody decides')).id;
  expiringRaisedAt = Date.now();
  // 16 reads of long paths: each is requested, decided, sent to ARM, answered (404) and failed, so
  // the audit log holds well over one 50-row page of realistic long scopes and actions.
  const reads = await runNode<Array<{ status: number; body: OperationRequest }>>(BATCH_SCRIPT, [JSON.stringify(longReads(16))]);
  for (const r of reads) expect(r.status, JSON.stringify(r.body)).toBe(201);
  const failed = reads.find((r) => r.body.state === 'failed');
  expect(failed, JSON.stringify(reads.map((r) => r.body.state))).toBeDefined();
  requests.failed = failed!.body.id;
}, 240_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await service?.stop();
});

describe('pages people read', () => {
  it('signed out: the start page invites sign-in, the sandbox sign-in page carries the banner once, and both pass axe', async () => {
    const { page, consoleErrors } = await newViewer();
    await visit(page, '/');
    expect(await page.getByTestId('sign-in-cta').isVisible()).toBe(true);
    expect(await page.getByTestId('home-pending').count()).toBe(0);
    expect(await page.getByTestId('sandbox-users').isVisible()).toBe(true);
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/static/favicon.svg');
    expect((await page.request.get(`${service.url}/static/favicon.svg`)).status()).toBe(200);
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'design-01-home-signed-out-1440');

    // The skip link is the first thing a keyboard reaches, and it is visible when focused.
    await page.keyboard.press('Tab');
    const skip = page.locator('a.skip-link');
    expect(await page.evaluate<string>('document.activeElement.className')).toBe('skip-link');
    const box = await skip.boundingBox();
    expect(box && box.y >= 0).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('main');

    await page.getByTestId('cta-sign-in').click();
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    expect(await page.getByTestId('sandbox-banner').isVisible()).toBe(true);
    const text = await page.locator('body').innerText();
    expect(text).not.toContain('(sandbox) (sandbox)');
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'design-02-sandbox-sign-in-1440');
    await page.setViewportSize(PHONE);
    await saveScreenshot(page, 'design-02-sandbox-sign-in-390');
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('the administrator: dashboard, approvals, a pending request, audit and agents pass axe; times are local with UTC on hover', async () => {
    const pending = await raise('revision ca-checkout--v1 unhealthy after deploy; restart it');
    requests.pending = pending.id;
    const { page, consoleErrors } = await signedInViewer('admin');
    // The dashboard: the pending count, recent decisions, the agent with its drift state.
    await visit(page, '/');
    expect(Number(await page.getByTestId('home-pending-count').textContent())).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('home-decisions').isVisible()).toBe(true);
    const drift = page.locator('[data-agent="sre-agent"] [data-testid="drift-state"]');
    expect(['in-sync', 'drift', 'changes-pending', 'unknown']).toContain(await drift.getAttribute('data-state'));
    expect(await page.getByTestId('sign-in-cta').count()).toBe(0);

    const pages: Array<[string, string]> = [
      [`/approvals/${pending.id}`, 'design-12-request-pending'],
      ['/', 'design-10-admin-home'],
      ['/approvals', 'design-11-admin-approvals'],
      [`/approvals/${requests.failed}`, 'design-13-request-failed'],
      ['/agents', 'design-14-admin-agents'],
      ['/agents/sre-agent', 'design-15-admin-agent'],
      ['/audit/overview', 'design-16-admin-audit-overview'],
      ['/audit', 'design-17-admin-audit-search'],
      [`/audit/requests/${requests.failed}`, 'design-18-admin-audit-timeline'],
      ['/audit/entries/1', 'design-19-admin-audit-entry'],
      ['/audit/verify', 'design-20-admin-audit-verify'],
    ];
    for (const [path, shot] of pages) {
      await visit(page, path);
      expect(await seriousViolations(page), path).toEqual([]);
      await saveScreenshot(page, `${shot}-1440`);
    }

    // Times: server-rendered UTC in datetime, the reader's local time in the text, UTC on hover.
    await visit(page, `/approvals/${pending.id}`);
    const raised = page.locator('time[datetime]').first();
    const iso = await raised.getAttribute('datetime');
    expect(Date.parse(iso!)).toBe(Date.parse(pending.createdAt));
    expect(await raised.getAttribute('title')).toContain(' UTC');
    expect(await raised.textContent()).not.toContain('UTC');
    expect(await raised.textContent()).toMatch(/ago|now/);
    // Approve is the primary action, Deny the secondary one.
    expect(await page.getByTestId('approve-button').getAttribute('class')).toContain('primary');
    expect(await page.getByTestId('deny-button').getAttribute('class')).toContain('secondary');
    expect(consoleErrors).toEqual([]);
  }, 180_000);

  it('the approvals list and the request page read on a 390 px phone without sideways scrolling', async () => {
    requests.pending = (await raise('phone check: checkout revision unhealthy')).id;
    const { page, consoleErrors } = await signedInViewer('admin', { phone: true });
    for (const [path, shot] of [
      ['/approvals', 'design-30-phone-approvals'],
      [`/approvals/${requests.pending}`, 'design-31-phone-request-pending'],
      ['/', 'design-32-phone-home'],
      ['/audit', 'design-33-phone-audit-search'],
    ] as const) {
      await visit(page, path);
      if (path !== '/audit') {
        // The page itself never scrolls sideways (the audit table scrolls inside its own box).
        expect(await widerThanViewport(page), path).toEqual([]);
      }
      expect(await seriousViolations(page), path).toEqual([]);
      await saveScreenshot(page, `${shot}-390`);
    }
    // The decision forms fit the screen: buttons at least 44 px tall for a thumb.
    await visit(page, `/approvals/${requests.pending}`);
    // the decision is one tap from the top of a long request page
    await page.getByTestId('jump-to-decide').click();
    // boundingBox is relative to the viewport: after the jump the button is on screen
    await expect.poll(async () => (await page.getByTestId('approve-button').boundingBox())!.y < PHONE.height).toBe(true);
    const approve = await page.getByTestId('approve-button').boundingBox();
    expect(approve!.height).toBeGreaterThanOrEqual(44);
    expect(approve!.x + approve!.width).toBeLessThanOrEqual(PHONE.width);
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('approving shows the approved request, which passes axe', async () => {
    const raised = await raise('restart the revision to clear the stuck replica');
    const { page, consoleErrors } = await signedInViewer('admin');
    await visit(page, `/approvals/${raised.id}`);
    await page.getByTestId('approve-reason').fill('INC-4711: restart approved');
    await page.getByTestId('approve-button').click();
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    await pickSandboxAccount(page, sandboxUser('admin').upn);
    expect(new URL(page.url()).pathname).toBe(`/approvals/${raised.id}`);
    expect(['approved', 'executing', 'succeeded']).toContain(await page.getByTestId('request-state').getAttribute('data-state'));
    requests.approved = raised.id;
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'design-21-request-approved-1440');
    await page.setViewportSize(PHONE);
    await saveScreenshot(page, 'design-21-request-approved-390');
    expect(consoleErrors).toEqual([]);
  }, 120_000);

  it('a Standard User and an Auditor see what their role allows, and their pages pass axe', async () => {
    requests.pending = (await raise('standard user check: checkout revision unhealthy')).id;
    const standard = await signedInViewer('standard');
    for (const [path, shot] of [
      ['/', 'design-40-standard-home'],
      ['/approvals', 'design-41-standard-approvals'],
      [`/approvals/${requests.pending}`, 'design-42-standard-request'],
      ['/agents', 'design-43-standard-agents'],
    ] as const) {
      await visit(standard.page, path);
      expect(await seriousViolations(standard.page), path).toEqual([]);
      await saveScreenshot(standard.page, `${shot}-1440`);
    }
    await visit(standard.page, '/');
    expect(await standard.page.getByTestId('home-pending').isVisible()).toBe(true);
    expect(await standard.page.getByText('Audit log', { exact: true }).count()).toBe(0);
    const refused = await standard.page.goto(`${service.url}/audit`);
    expect(refused!.status()).toBe(403);
    expect(await seriousViolations(standard.page)).toEqual([]);
    await saveScreenshot(standard.page, 'design-44-standard-audit-refused-1440');

    const auditor = await signedInViewer('auditor');
    for (const [path, shot] of [
      ['/', 'design-50-auditor-home'],
      ['/audit', 'design-51-auditor-audit-search'],
      ['/audit/overview', 'design-52-auditor-audit-overview'],
      [`/approvals/${requests.failed}`, 'design-53-auditor-request-failed'],
    ] as const) {
      await visit(auditor.page, path);
      expect(await seriousViolations(auditor.page), path).toEqual([]);
      await saveScreenshot(auditor.page, `${shot}-1440`);
    }
    expect(standard.consoleErrors.filter((e) => !/403/.test(e))).toEqual([]);
    expect(auditor.consoleErrors).toEqual([]);
  }, 180_000);

  it('at 1440 px no table overflows its container, and a 50-row audit page of long ARM paths keeps rows within three lines', async () => {
    const { page } = await signedInViewer('auditor');
    await visit(page, '/audit');
    const rows = page.getByTestId('audit-entries').locator('tbody tr');
    expect(await rows.count()).toBe(50);
    const heights = await rows.evaluateAll((trs) => trs.map((tr) => tr.getBoundingClientRect().height));
    expect(Math.max(...heights)).toBeLessThanOrEqual(MAX_AUDIT_ROW_PX);
    // The long scope is shortened in the cell, whole on hover.
    const scope = page.getByTestId('cell-scope').first();
    const full = await scope.getAttribute('title');
    expect(full).toMatch(/^\/subscriptions\//);
    expect((await scope.textContent())!.length).toBeLessThan(full!.length);
    // Names beside ids: the agent's name with its id.
    const agentCell = rows.filter({ has: page.getByTestId('cell-scope') }).first().locator('td').nth(3);
    expect(await agentCell.innerText()).toContain('sre-agent');
    // The whole 50-row page fits on a laptop screen's worth of scrolling: rows average under two lines.
    const avg = heights.reduce((a, b) => a + b, 0) / heights.length;
    expect(avg).toBeLessThanOrEqual(56);

    for (const path of ['/', '/approvals', '/agents', '/audit', '/audit/overview', `/audit/requests/${requests.failed}`]) {
      await visit(page, path);
      // Evaluated in the page (a string: the test's TypeScript has no DOM types).
      const overflow = await page.evaluate<string[]>(`[...document.querySelectorAll('table')].flatMap((t) => {
          const over = t.getBoundingClientRect().width - t.parentElement.clientWidth;
          const pageOver = document.documentElement.scrollWidth - window.innerWidth;
          return over > 1 || pageOver > 1 ? [(t.getAttribute('data-testid') || t.className) + ': ' + Math.round(over) + ' px over its container, page ' + pageOver + ' px'] : [];
        })`);
      expect(overflow, path).toEqual([]);
    }
  }, 120_000);

  it('the Swagger UI for the agent API runs from our origin under the strict CSP', async () => {
    const { page, consoleErrors } = await newViewer();
    const res = await page.goto(`${service.url}/api/v1/docs`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.swagger-ui .opblock').first().waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Elevate agent operations API');
    const external = await page.evaluate<string[]>(`performance.getEntriesByType('resource').map((e) => e.name).filter((u) => !u.startsWith(location.origin) && !u.startsWith('data:'))`);
    expect(external).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'design-60-api-docs-1440');
  }, 90_000);

  it('an expired request reads as expired and passes axe', async () => {
    const wait = Math.max(0, expiringRaisedAt + (TTL_SECONDS + 2) * 1000 - Date.now());
    await new Promise((r) => setTimeout(r, wait));
    const { page, consoleErrors } = await signedInViewer('admin');
    await visit(page, `/approvals/${requests.expired}`);
    expect(await page.getByTestId('request-state').getAttribute('data-state')).toBe('expired');
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'design-22-request-expired-1440');
    expect(consoleErrors).toEqual([]);
    // It waits until the request's TTL has passed since it was raised (beforeAll): on a fast
    // machine the tests before it take little of that, so the budget holds the whole TTL too.
  }, (TTL_SECONDS + 2) * 1000 + 90_000);
});
