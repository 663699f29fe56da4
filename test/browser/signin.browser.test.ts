import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxUser } from '../support/sandbox-context.ts';
import { launchBrowser } from './support/launch-browser.ts';
import { saveScreenshot } from './support/screenshots.ts';
import { startServiceProcess, type ServiceProcess } from './support/service-process.ts';
import { onSandboxSignInPage, pickSandboxAccount, signInAs } from './support/sign-in-as.ts';

/**
 * A real Chromium against `elevate serve` (sandbox mode): the administrator signs in through the
 * sandbox's sign-in page and sees their name; the personal-account administrator is refused
 * with the reason. Screenshots go to test-artifacts/.
 */

let service: ServiceProcess;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [service, browser] = await Promise.all([startServiceProcess(), launchBrowser()]);
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await service?.stop();
});

/** A fresh browser profile whose console errors (CSP violations included) are collected. */
async function newPage(): Promise<{ page: Page; consoleErrors: string[] }> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    // Missing resources are reported below with their URL instead.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) consoleErrors.push(message.text());
  });
  page.on('response', (response) => {
    // Browsers ask for /favicon.ico on their own; Elevate has none, which is fine.
    if (response.status() >= 400 && new URL(response.url()).pathname !== '/favicon.ico') {
      consoleErrors.push(`${response.status()} ${response.url()}`);
    }
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  return { page, consoleErrors };
}

describe('sign-in in a browser', () => {
  it('signs the administrator in through the sandbox page, shows their name, and signs them out', async () => {
    const admin = sandboxUser('admin');
    const { page, consoleErrors } = await newPage();
    await page.goto(service.url);
    expect(await page.getByTestId('sandbox-banner').isVisible()).toBe(true);
    await saveScreenshot(page, 'signin-01-home-signed-out');

    await page.getByTestId('user-slot').getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    expect(onSandboxSignInPage(page)).toBe(true);
    expect(new URL(page.url()).origin).toBe(service.browserOrigin);
    await saveScreenshot(page, 'signin-02-sandbox-pick-account');

    await signInAs(page, admin.upn);
    expect(page.url()).toBe(`${service.url}/`);
    const slot = page.getByTestId('user-slot');
    expect(await slot.textContent()).toContain(admin.displayName);
    expect(await slot.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    await saveScreenshot(page, 'signin-03-admin-signed-in');

    // The session cookie is HttpOnly and SameSite=Lax; scripts on the page cannot read it.
    const cookies = await page.context().cookies(service.url);
    const session = cookies.find((c) => c.name === 'elevate.sid');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await page.evaluate('document.cookie')).not.toContain('elevate.sid');

    // Sign-out: a CSRF-protected POST, then the tenant's end-session page, then back to Elevate.
    await slot.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${service.url}/auth/signed-out`);
    expect(await page.getByTestId('signed-out').isVisible()).toBe(true);
    expect(await page.getByTestId('user-slot').textContent()).not.toContain(admin.displayName);
    await saveScreenshot(page, 'signin-04-signed-out');

    // No CSP violation or script error anywhere along the way (form-action covers the tenant).
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });

  it('refuses the personal-account administrator and explains why', async () => {
    const personal = sandboxUser('personal');
    const { page } = await newPage();
    await page.goto(`${service.url}/auth/signin`);
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    await pickSandboxAccount(page, personal.upn);

    // Redirected off the spent callback URL to a stable page: a reload says the same.
    expect(page.url()).toBe(`${service.url}/auth/refused`);
    for (const round of [1, 2]) {
      const refusal = page.getByTestId('signin-refused');
      expect(await refusal.getAttribute('data-reason')).toBe('personal-account');
      expect(await page.getByTestId('refusal-explanation').textContent()).toMatch(/You signed in with a personal Microsoft account\. Elevate only accepts work accounts/);
      expect(await page.getByTestId('user-slot').textContent()).not.toContain(personal.displayName);
      if (round === 1) {
        await saveScreenshot(page, 'signin-05-personal-account-refused');
        await page.reload();
      }
    }

    // No session was created: back on the start page, the browser is still signed out.
    await page.goto(service.url);
    const slot = page.getByTestId('user-slot');
    expect(await slot.getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await slot.textContent()).not.toContain(personal.displayName);
  });

  it('lets a refused user choose another account instead of being signed in silently as the same one', async () => {
    const personal = sandboxUser('personal');
    const admin = sandboxUser('admin');
    const { page } = await newPage();
    await page.goto(`${service.url}/auth/signin`);
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    await pickSandboxAccount(page, personal.upn);
    await page.getByTestId('choose-account').click();
    // The tenant still has a session for the personal account; the account picker shows anyway.
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    expect(new URL(page.url()).searchParams.get('prompt')).toBe('select_account');
    await pickSandboxAccount(page, admin.upn);
    expect(await page.getByTestId('user-slot').textContent()).toContain(admin.displayName);
  });
});
