/**
 * End to end through the whole service (test/support/full-service.ts) with notifications enabled:
 * the agent raises an elevation through the agent API, the Teams card and the signed CloudEvent
 * arrive at local receivers with a deep link that opens the request page for a signed-in
 * administrator, every attempt is audited; and /approvals/events streams the pending count live to
 * an administrator (not to anyone else), ending at sign-out and at shutdown.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/notifications/webhook-signature.ts';
import type { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { csrfOf } from '../approvals/support/approval-steps.ts';
import { openEventStream } from '../support/event-stream.ts';
import { startFullService, type FullService } from '../support/full-service.ts';
import { startHttpReceiver, type HttpReceiver } from '../notifications/support/receivers.ts';
import { adaptiveCardIssues, expectNoLeak } from '../notifications/support/payload-checks.ts';
import { policiesWithNotifications } from '../notifications/support/policies-with-notifications.ts';

const SECRET = 'whsec-e2e-7f3a9b1c5d2e4f6a8b0c';
let fs: FullService;
let receiver: HttpReceiver;
let closed = false;

beforeAll(async () => {
  receiver = await startHttpReceiver();
  fs = await startFullService({
    ELEVATE_POLICIES_DIR: policiesWithNotifications(`channels:
  teams: { type: teams, urlEnv: ELEVATE_NOTIFY_TEAMS_URL }
  siem: { type: webhook, urlEnv: ELEVATE_NOTIFY_WEBHOOK_URL, secretEnv: ELEVATE_NOTIFY_WEBHOOK_SECRET }
routes:
  - name: approvers
    events: [request.raised, request.denied]
    channels: [teams, siem]
`),
    ELEVATE_NOTIFY_TEAMS_URL: `${receiver.url}/teams/workflows-secret-sig`,
    ELEVATE_NOTIFY_WEBHOOK_URL: `${receiver.url}/hook/secret-hook-path`,
    ELEVATE_NOTIFY_WEBHOOK_SECRET: SECRET,
  });
}, 120_000);

afterAll(async () => {
  if (!closed) await fs?.close();
  await receiver?.close();
});

function restartCheckout(justification: string) {
  const checkout = fs.service.context.sandbox!.tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === 'ca-checkout')!;
  const revision = checkout.children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
  return { method: 'POST', path: `${revision.id}/restart`, apiVersion: '2024-03-01', justification, trigger: { kind: 'chat', ref: 'thread-3001' }, idempotencyKey: randomUUID() };
}

async function raise(justification: string): Promise<{ id: string; state: string }> {
  const res = await fetch(`${fs.url}/api/v1/operations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await fs.agentToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify(restartCheckout(justification)),
  });
  const body = (await res.json()) as { id: string; state: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body;
}

const cookieOf = (client: BrowserLikeClient, url: string) => (client as unknown as { cookieHeader(u: URL): string }).cookieHeader(new URL(url));

describe('notifications through the full service', { timeout: 120_000 }, () => {
  it('an elevation raised by the agent reaches Teams and the webhook with a working deep link, and is audited', async () => {
    const raised = await raise('checkout pods crash-looping <!channel> https://evil.example');
    expect(raised.state).toBe('pending_elevation');
    const got = await receiver.waitFor((all) => all.filter((r) => r.body.includes(raised.id)).length >= 2);
    const teams = got.find((r) => r.path.startsWith('/teams/') && r.body.includes(raised.id))!;
    const hook = got.find((r) => r.path.startsWith('/hook/') && r.body.includes(raised.id))!;
    const card = (JSON.parse(teams.body) as { attachments: Array<{ content: { actions: Array<{ url: string }> } }> }).attachments[0]!.content;
    expect(adaptiveCardIssues(card)).toEqual([]);
    const link = card.actions[0]!.url;
    expect(link).toBe(`${fs.url}/approvals/${raised.id}`);
    expect(verifySignature(SECRET, hook.headers['elevate-signature'] as string, hook.body, new Date())).toMatchObject({ ok: true });
    for (const r of got) expectNoLeak(JSON.stringify(r.headers) + r.body, [SECRET, 'workflows-secret-sig', 'secret-hook-path', await fs.agentToken()]);

    // The link opens the request page for an administrator.
    const admin = await fs.signedIn('admin');
    const page = await admin.get(link);
    expect(page.status).toBe(200);
    expect(page.body).toContain(raised.id);

    const audited = async () =>
      fs.service.context.store.all<{ event_type: string; details: string }>(`SELECT event_type, details FROM audit_log WHERE request_id = ? AND event_type LIKE 'notification.%'`, [raised.id]);
    for (let i = 0; i < 100 && (await audited()).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    const rows = await audited();
    expect(rows.map((r) => r.event_type)).toEqual(['notification.delivered', 'notification.delivered']);
    expect(rows.map((r) => r.details).join()).not.toMatch(/secret-hook-path|workflows-secret-sig/);
  });

  it('/approvals/events streams the pending count to an administrator, woken by new requests', async () => {
    const admin = await fs.signedIn('admin');
    const url = `${fs.url}/approvals/events`;
    const stream = await openEventStream(url, { cookie: cookieOf(admin, url) });
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const first = JSON.parse((await stream.waitFor((e) => e.event === 'pending')).data) as { pending: number };
    await raise('live update');
    await stream.waitFor((e) => e.event === 'pending' && (JSON.parse(e.data) as { pending: number }).pending === first.pending + 1);
    stream.close();
    // Leaving the page (the stream closes) leaves the session as it was: still signed in.
    await new Promise((r) => setTimeout(r, 100));
    expect((await admin.get(`${fs.url}/approvals`)).status).toBe(200);
  });

  it('refuses the stream without a session, and applies the page’s own role check (Approval:read)', async () => {
    const anonymous = await openEventStream(`${fs.url}/approvals/events`, {});
    // The page sends a browser to sign in (303); a stream request is answered 401.
    expect([401, 303]).toContain(anonymous.status);
    expect(anonymous.events).toEqual([]);
    // Every service role may read /approvals (policies/service-roles.yaml): so may it the stream.
    const standard = await fs.signedIn('standard');
    const url = `${fs.url}/approvals/events`;
    const stream = await openEventStream(url, { cookie: cookieOf(standard, url) });
    expect(stream.status).toBe((await standard.get(`${fs.url}/approvals`)).status);
    stream.close();
  });

  it('ends the stream at sign-out', async () => {
    const admin = await fs.signedIn('admin');
    const url = `${fs.url}/approvals/events`;
    const stream = await openEventStream(url, { cookie: cookieOf(admin, url) });
    await stream.waitFor((e) => e.event === 'pending');
    const oldCookie = cookieOf(admin, `${fs.url}/approvals`);
    const csrf = csrfOf((await admin.get(`${fs.url}/approvals`)).body);
    expect((await admin.post(`${fs.url}/auth/signout`, { _csrf: csrf })).status).toBe(303);
    // The next wake-up (or heartbeat) finds the session gone.
    await raise('after sign-out');
    expect(JSON.parse((await stream.waitFor((e) => e.event === 'end')).data)).toEqual({ reason: 'signed-out' });
    await stream.ended;
    // Ending the stream does not write the destroyed session back: the old cookie stays dead.
    await new Promise((r) => setTimeout(r, 100));
    const replay = await fetch(`${fs.url}/approvals`, { headers: { cookie: oldCookie }, redirect: 'manual' });
    expect(replay.status).not.toBe(200);
  });

  it('ends the stream at shutdown (the service stops without waiting on it)', async () => {
    const admin = await fs.signedIn('admin');
    const url = `${fs.url}/approvals/events`;
    const stream = await openEventStream(url, { cookie: cookieOf(admin, url) });
    await stream.waitFor((e) => e.event === 'pending');
    closed = true;
    await fs.close();
    expect(JSON.parse((await stream.waitFor((e) => e.event === 'end')).data)).toEqual({ reason: 'shutdown' });
    await stream.ended;
  });
});
