import { expect } from 'vitest';
import { BrowserLikeClient, parseSandboxSignInPage, type Hop } from './browser-like-client.ts';

/** The hops of one sign-in, stopped before the callback so a test can tamper with it. */
export interface AuthorizeResult {
  /** The sandbox authorize URL Elevate redirected to. */
  authorizeUrl: string;
  /** Elevate's callback URL with code and state, as the sandbox redirected. */
  callbackUrl: string;
}

/** GET a start URL on Elevate (e.g. /auth/signin); returns the authorize URL it redirects to. */
export async function startSignIn(client: BrowserLikeClient, startUrl: string): Promise<string> {
  const start = await client.get(startUrl);
  expect(start.status).toBe(303);
  expect(start.location).toMatch(/\/oauth2\/v2\.0\/authorize\?/);
  return start.location!;
}

/** Visits the authorize URL and picks `userOid` on the sandbox page; returns the callback URL. */
export async function pickAccount(client: BrowserLikeClient, authorizeUrl: string, userOid: string): Promise<string> {
  const page = await client.get(authorizeUrl);
  if (page.status === 302 && page.location) return page.location; // silent SSO
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  const form = parseSandboxSignInPage(page.body);
  const chosen = await client.post(form.action, { flow: form.flow, user: userOid });
  expect(chosen.status, chosen.body.slice(0, 300)).toBe(302);
  return chosen.location!;
}

/** Start, pick the account, and stop before delivering the callback. */
export async function authorizeAs(client: BrowserLikeClient, startUrl: string, userOid: string): Promise<AuthorizeResult> {
  const authorizeUrl = await startSignIn(client, startUrl);
  return { authorizeUrl, callbackUrl: await pickAccount(client, authorizeUrl, userOid) };
}

/** The whole sign-in: returns the callback's answer. */
export async function signInAs(client: BrowserLikeClient, baseUrl: string, userOid: string): Promise<Hop> {
  const { callbackUrl } = await authorizeAs(client, `${baseUrl}/auth/signin`, userOid);
  return client.get(callbackUrl);
}

/**
 * A refused callback redirects (303) to the stable refusal page, never renders at the spent
 * callback URL; the page it lands on, as the browser shows it.
 */
export async function refusalPage(client: BrowserLikeClient, callbackAnswer: Hop): Promise<Hop> {
  expect(callbackAnswer.status, callbackAnswer.body.slice(0, 300)).toBe(303);
  expect(new URL(callbackAnswer.location!).pathname).toBe('/auth/refused');
  return client.get(callbackAnswer.location!);
}
