/**
 * Driving the approval pages like a browser, and the requests the agent raises in the approval
 * tests, over an ApprovalHarness.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { BrowserLikeClient, Hop } from '../../signin/support/browser-like-client.ts';
import { pickAccount } from '../../signin/support/sign-in-steps.ts';
import type { ApprovalHarness } from './approval-harness.ts';

// ---- driving the pages like a browser -------------------------------------------------------

export const csrfOf = (body: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(body);
  if (!m) throw new Error(`no CSRF token on the page: ${body.slice(0, 200)}`);
  return m[1]!;
};

export async function requestPage(client: BrowserLikeClient, h: Pick<ApprovalHarness, 'url'>, id: string): Promise<Hop> {
  return client.get(`${h.url}/approvals/${id}`);
}

export async function postDecision(client: BrowserLikeClient, h: Pick<ApprovalHarness, 'url'>, id: string, action: 'approve' | 'deny', reason: string | undefined, csrf?: string): Promise<Hop> {
  const token = csrf ?? csrfOf((await requestPage(client, h, id)).body);
  return client.post(`${h.url}/approvals/${id}/${action}`, { _csrf: token, ...(reason !== undefined ? { reason } : {}) });
}

/** Approve pressed on an elevation, up to the sandbox's callback URL (not yet delivered). */
export async function approveUntilCallback(client: BrowserLikeClient, h: ApprovalHarness, id: string, signInAsKey: string, reason = 'restart the unhealthy revision'): Promise<{ start: Hop; authorizeUrl: string; callbackUrl: string }> {
  const start = await postDecision(client, h, id, 'approve', reason);
  if (start.status !== 303 || !start.location?.includes('/oauth2/v2.0/authorize')) throw new Error(`approve answered ${start.status} ${start.location ?? ''}: ${start.body.slice(0, 400)}`);
  const callbackUrl = await pickAccount(client, start.location, h.user(signInAsKey).oid);
  return { start, authorizeUrl: start.location, callbackUrl };
}

/** The whole elevation approval: Approve, fresh sign-in, callback; returns the callback's answer (and the page it redirects to). */
export async function approveElevation(client: BrowserLikeClient, h: ApprovalHarness, id: string, signInAsKey: string, reason?: string): Promise<{ callback: Hop; page: Hop | undefined; authorizeUrl: string }> {
  const { callbackUrl, authorizeUrl } = await approveUntilCallback(client, h, id, signInAsKey, reason);
  const callback = await client.get(callbackUrl);
  const page = callback.status === 303 && callback.location?.startsWith(h.url) ? await client.get(callback.location) : undefined;
  return { callback, page, authorizeUrl };
}

// ---- requests the agent raises ------------------------------------------------------------------

export function resourceOf(h: Pick<ApprovalHarness, 'sandbox'>, name: string) {
  const r = h.sandbox.tenant.resourceGroups.flatMap((g) => g.resources).find((x) => x.name === name);
  if (!r) throw new Error(`no seeded resource ${name}`);
  return r;
}

/**
 * ca-checkout's revision restart by the Reader-level agent: a pending elevation. It names a
 * directory user who is not an administrator as the requester (an unknown one would need an
 * extra approver).
 */
export function restartCheckout(h: Pick<ApprovalHarness, 'sandbox'>, extra: Record<string, unknown> = {}) {
  const revision = resourceOf(h, 'ca-checkout').children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
  return {
    method: 'POST',
    path: `${revision.id}/restart`,
    apiVersion: '2024-03-01',
    justification: 'revision unhealthy after deploy',
    trigger: { kind: 'incident', ref: 'INC-1042', requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' },
    idempotencyKey: randomUUID(),
    ...extra,
  };
}

/** ca-payments' revision restart by the privileged agent in Review mode: a pending consent. */
export function restartPayments(h: Pick<ApprovalHarness, 'sandbox'>, extra: Record<string, unknown> = {}) {
  const revision = resourceOf(h, 'ca-payments').children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
  return {
    method: 'POST',
    path: `${revision.id}/restart`,
    apiVersion: '2024-03-01',
    justification: 'payments revision stuck',
    trigger: { kind: 'chat', ref: 'conv-7', requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' },
    idempotencyKey: randomUUID(),
    ...extra,
  };
}

/**
 * The answer to a sign-in callback as the browser ends up showing it. A callback always answers
 * with a redirect (never a page at the spent `/auth/callback?code=…`); a refusal's page is then
 * fetched from its stable address (the request page with `?outcome=`, or /auth/refused).
 */
export async function afterCallback(client: BrowserLikeClient, callbackAnswer: Hop): Promise<Hop> {
  expect(callbackAnswer.status, callbackAnswer.body.slice(0, 300)).toBe(303);
  const target = new URL(callbackAnswer.location!);
  if (target.pathname === '/auth/refused' || target.searchParams.has('outcome')) return client.get(target.href);
  return callbackAnswer;
}
