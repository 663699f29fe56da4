import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { openStore } from '../../src/store/migrations.ts';
import { appendRequestFlows, CORRELATION, OBO_REQUEST, UTI_HASH } from '../audit/audit-flow-fixtures.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { launchBrowser } from './support/launch-browser.ts';
import { saveScreenshot } from './support/screenshots.ts';
import { startServiceProcess, type ServiceProcess } from './support/service-process.ts';
import { onSandboxSignInPage, signInAs } from './support/sign-in-as.ts';

/**
 * A real Chromium against `elevate serve` (sandbox mode): the auditor signs in, filters the log to
 * one request, opens its timeline and sees who approved, that the operation ran with the
 * approver's on-behalf-of token, ARM's correlation id and the token-discarded entry.
 *
 * The request's entries are appended to the service's database through the real audit log,
 * built with the operations API's and the approval flow's own entry builders, while the service
 * runs (another process, the same file): driving a whole elevation through ARM is the approval
 * flow's browser test; this one is about reading the record.
 */

let service: ServiceProcess;
let browser: Browser;
let dir: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-audit-browser-'));
  const dbPath = join(dir, 'elevate.db');
  [service, browser] = await Promise.all([
    startServiceProcess({
      ELEVATE_DB_PATH: dbPath,
      ELEVATE_AUDIT_CHECKPOINT_KEY: join(dir, 'keys', 'checkpoint.pem'),
      ELEVATE_AUDIT_ARCHIVE_DIR: join(dir, 'archive'),
    }),
    launchBrowser(),
  ]);
  const admin = sandboxUser('admin');
  const db = await openStore({ dbPath });
  await appendRequestFlows(createAuditLog(db), { oid: admin.oid, upn: admin.upn, tid: sandboxInfo().tenant.tenantId });
  await db.close();
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await service?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

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

describe('the auditor in a browser', () => {
  it('signs in, filters to one request, and reads its timeline: OBO approver and the discarded token', async () => {
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

    await page.getByTestId('filter-request').fill(OBO_REQUEST);
    await page.getByTestId('apply-filters').click();
    await page.waitForURL((url) => url.searchParams.get('requestId') === OBO_REQUEST);
    const rows = page.getByTestId('audit-entries').locator('tbody tr');
    expect(await rows.count()).toBe(8);
    const events = await rows.locator('td:nth-child(3)').allTextContents();
    expect(events).toContain('token.discarded');
    expect(events).toContain('approval.decided');
    await saveScreenshot(page, 'audit-01-filtered-to-request');

    await rows.first().getByTestId('timeline-link').click();
    await page.waitForURL(`${service.url}/audit/requests/${OBO_REQUEST}`);
    expect(await page.getByTestId('timeline-approver').textContent()).toContain(admin.upn);
    expect(await page.getByTestId('executed-as').textContent()).toBe(`OBO ${admin.oid}`);
    expect(await page.getByTestId('timeline-correlation').textContent()).toBe(CORRELATION);
    const discarded = page.getByTestId('timeline-token-discarded');
    expect(await discarded.isVisible()).toBe(true);
    expect(await discarded.textContent()).toContain(`On-behalf-of token discarded (approver ${admin.upn})`);
    expect(await discarded.textContent()).toContain(UTI_HASH);
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
