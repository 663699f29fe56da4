/**
 * The incident pages in a real Chromium against `elevate serve` (sandbox mode): the sandbox's
 * Azure Monitor fires an alert whose rule name and description carry markup, an auditor signs in,
 * opens the list and the incident, follows the link to the audit search by incident; every page
 * passes axe (WCAG 2.2 AA) and shows the hostile text as text.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxTlsFiles } from '../../src/sandbox/tls/sandbox-tls.ts';
import { sandboxUser } from '../support/sandbox-context.ts';
import { launchBrowser } from './support/launch-browser.ts';
import { saveScreenshot } from './support/screenshots.ts';
import { startServiceProcess, type ServiceProcess } from './support/service-process.ts';
import { signInAs } from './support/sign-in-as.ts';

const CHECKOUT = '/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d/resourceGroups/rg-sre-apps/providers/Microsoft.App/containerApps/ca-checkout';
const HOSTILE_RULE = '<img src=x onerror=alert(1)> ca-checkout restarts';

let service: ServiceProcess;
let browser: Browser;
let incidentId: string;

async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

beforeAll(async () => {
  const sandboxDir = join(mkdtempSync(join(tmpdir(), 'elevate-incidents-browser-')), 'sandbox');
  [service, browser] = await Promise.all([startServiceProcess({ ELEVATE_SANDBOX_DATA_DIR: sandboxDir }), launchBrowser()]);
  const origin = /Entra \/ ARM \/ IMDS: +(\S+)/.exec(service.output())![1]!;
  // That service's sandbox has a CA of its own: trust it for this one call.
  const ca = readFileSync(sandboxTlsFiles(sandboxDir).caCertPath);
  const body = JSON.stringify({ webhookUrl: `${service.url}/api/v1/alerts/azure-monitor`, targetResourceId: CHECKOUT, alertRule: HOSTILE_RULE, description: '<script>document.title="pwned"</script>' });
  const fired = await new Promise<{ status: number; body: { incidentId: string } }>((resolve, reject) => {
    const req = httpsRequest(`${origin}/_sandbox/alerts/fire`, { method: 'POST', ca, headers: { 'content-type': 'application/json', 'x-sandbox-admin': 'true' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve(JSON.parse(text) as { status: number; body: { incidentId: string } }));
    });
    req.on('error', reject);
    req.end(body);
  });
  expect(fired.status).toBe(201);
  incidentId = fired.body.incidentId;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe('incident pages', { timeout: 120_000 }, () => {
  it('lists the incident and shows it, accessible, with hostile alert text as text', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs += 1;
      void d.dismiss();
    });
    await page.goto(`${service.url}/incidents`);
    await signInAs(page, sandboxUser('auditor').upn);
    await page.goto(`${service.url}/incidents`);
    const row = page.getByTestId('incident-row').filter({ hasText: 'ca-checkout restarts' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'incidents-1-list');

    await row.getByRole('link').click();
    await page.waitForURL(new RegExp(`/incidents/${incidentId}$`));
    expect(await page.getByTestId('incident-title').innerText()).toBe(HOSTILE_RULE);
    expect(await page.getByTestId('alert-description').innerText()).toContain('<script>');
    expect(await page.title()).not.toBe('pwned');
    expect(await page.getByTestId('incident-state').innerText()).toContain('Open');
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'incidents-2-incident');

    await page.getByTestId('incident-audit-link').click();
    await page.waitForURL(/\/audit\?incidentId=/);
    expect(await page.getByTestId('filter-incident').inputValue()).toBe(incidentId);
    expect(await page.locator('body').innerText()).toContain('incident.opened');

    // A phone: nothing sticks out sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${service.url}/incidents/${incidentId}`);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')).toBeLessThanOrEqual(1);
    expect(dialogs).toBe(0);
    await context.close();
  });
});
