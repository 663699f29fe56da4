import { chromium, type Browser } from 'playwright-core';
import { ensureChromium } from './chromium-executable.ts';

/**
 * Headless Chromium for browser tests. No sandbox (tests run as root in containers), no GPU, and
 * none of the background traffic (updates, sync, safe browsing) that would reach for the internet.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
