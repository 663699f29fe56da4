import type { Page } from 'playwright-core';

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True while the page shows the sandbox's "Pick an account" page. */
export function onSandboxSignInPage(page: Page): boolean {
  return /\/oauth2\/v2\.0\/authorize/.test(new URL(page.url()).pathname);
}

/**
 * On the sandbox's sign-in page, clicks the account with this upn and waits until the browser is
 * back on the app that asked (Elevate), whatever it then shows (signed in, or refused).
 */
export async function pickSandboxAccount(page: Page, userUpn: string): Promise<void> {
  const authorizeOrigin = new URL(page.url()).origin;
  await page.getByRole('button', { name: new RegExp(escapeRegExp(userUpn), 'i') }).click();
  await page.waitForURL((url) => url.origin !== authorizeOrigin, { waitUntil: 'load' });
}

/**
 * Signs in through the sandbox page like a person would: from an Elevate page, clicks the header's
 * "Sign in" link (unless a flow already brought the browser to the sandbox page), then picks the
 * account. Returns when the browser is back on Elevate.
 */
export async function signInAs(page: Page, userUpn: string): Promise<void> {
  if (!onSandboxSignInPage(page)) {
    await page.getByTestId('user-slot').getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/, { waitUntil: 'load' });
  }
  await pickSandboxAccount(page, userUpn);
}
