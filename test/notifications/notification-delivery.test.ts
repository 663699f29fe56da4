/**
 * The outbox and dispatcher against local receivers (HTTP for Teams, Slack and CloudEvents; SMTP
 * for mail), over a real SQLite store and audit log: what arrives, that it is valid and leak-free,
 * that the outbox row commits with the state change, and the failure cases: a receiver down then
 * up, a 429 with Retry-After, a channel that always fails, a hanging channel, and a restart.
 */
import { CloudEvent } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/notifications/webhook-signature.ts';
import type { RequestChangeOutbox } from '../../src/operations/request-change-outbox.ts';
import { createOperationRequestStore } from '../../src/operations/operation-request-store.ts';
import { parseNotificationsYaml } from './support/notifications-yaml.ts';
import { BASE_URL, createNotificationHarness, HOOK_SECRET, SECRET_PATH, type NotificationHarness } from './support/notification-harness.ts';
import { pendingRequest } from './support/notification-fixtures.ts';
import { adaptiveCardIssues, expectNoLeak, slackLimitIssues } from './support/payload-checks.ts';
import { mimeParts } from './support/receivers.ts';

let h: NotificationHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const onlyHook = parseNotificationsYaml(`
channels: { hook: { type: webhook, urlEnv: ELEVATE_NOTIFY_HOOK_URL, secretEnv: ELEVATE_NOTIFY_HOOK_SECRET } }
routes: [{ name: r, events: [request.raised, request.denied, request.expired], channels: [hook] }]
`);
const onlyTeams = parseNotificationsYaml(`
channels: { teams: { type: teams, urlEnv: ELEVATE_NOTIFY_TEAMS_URL } }
routes: [{ name: r, events: [request.raised], channels: [teams] }]
`);

const secrets = () => [SECRET_PATH, HOOK_SECRET];

describe('delivery to every channel', () => {
  it('a raised elevation reaches Teams, Slack, the webhook and mail: valid, linked, signed, nothing secret', async () => {
    h = await createNotificationHarness();
    const request = await h.raise();
    const link = `${BASE_URL}/approvals/${request.id}`;
    const got = await h.http.waitFor((all) => all.length >= 3);
    const mails = await h.mail.waitFor(1);

    const teams = got.find((r) => r.path.startsWith('/teams/'))!;
    const card = (JSON.parse(teams.body) as { attachments: Array<{ content: Record<string, unknown> }> }).attachments[0]!.content;
    expect(adaptiveCardIssues(card)).toEqual([]);
    expect(card.actions).toEqual([expect.objectContaining({ type: 'Action.OpenUrl', url: link })]);

    const slack = got.find((r) => r.path.startsWith('/slack/'))!;
    const message = JSON.parse(slack.body) as { text: string; blocks: Array<Record<string, unknown>> };
    expect(slackLimitIssues(message as never)).toEqual([]);
    expect(slack.body).toContain(link);
    expect(slack.body).not.toContain('<!channel>');

    const hook = got.find((r) => r.path.startsWith('/hook/'))!;
    expect(verifySignature(HOOK_SECRET, hook.headers['elevate-signature'] as string, hook.body, new Date())).toMatchObject({ ok: true });
    expect(verifySignature('wrong-secret', hook.headers['elevate-signature'] as string, hook.body, new Date())).toMatchObject({ ok: false });
    const ce = new CloudEvent(JSON.parse(hook.body) as never);
    expect(ce.validate()).toBe(true);
    expect(ce.type).toBe('io.elevate.request.raised');
    expect((ce.data as unknown as { link: string }).link).toBe(link);

    const mail = mails[0]!;
    expect(mail.to).toEqual(['oncall@contoso.com']);
    const parts = mimeParts(mail.raw);
    expect(parts['text/html']).toContain(`<a href="${link}">Review the request</a>`);
    expect(parts['text/html']).toContain('&lt;script&gt;');
    expect(parts['text/html']).not.toContain('<script>');
    expect(parts['text/plain']).toContain(link);

    // The leak scan covers every payload, headers included.
    for (const r of got) expectNoLeak(JSON.stringify(r.headers) + r.body, secrets());
    expectNoLeak(mail.raw, secrets());

    // Audited once each receiver has answered, and then marked delivered: the dispatcher writes
    // the audit entry first (no audit entry, no "delivered"), so the row's status follows it.
    await until(async () => (await h!.notificationAudit()).length >= 4);
    const audit = await h.notificationAudit();
    expect(audit.filter((e) => e.eventType === 'notification.delivered').map((e) => e.details.channelType).sort()).toEqual(['email', 'slack', 'teams', 'webhook']);
    expectNoLeak(JSON.stringify(audit), secrets());
    await until(async () => (await h!.notifications.store.list({ requestId: request.id })).every((r) => r.status === 'delivered'));
    const rows = await h.notifications.store.list({ requestId: request.id });
    expect(rows.map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
  });

  it('a multi-approver approval and the request’s end are notified too', async () => {
    h = await createNotificationHarness({ policy: parseNotificationsYaml(`
channels: { hook: { type: webhook, urlEnv: ELEVATE_NOTIFY_HOOK_URL, secretEnv: ELEVATE_NOTIFY_HOOK_SECRET } }
routes: [{ name: r, events: [approval.recorded, request.denied], channels: [hook] }]
`) });
    const request = await h.raise();
    const { createApprovalStore } = await import('../../src/approvals/approval-store.ts');
    const approvals = createApprovalStore(h.db, { outbox: h.notifications.outbox });
    await approvals.recordApproval({ requestId: request.id, approver: { oid: 'a1', upn: 'ann@contoso.com', tid: 't' }, kind: 'elevation', reason: 'ok', at: new Date().toISOString(), progress: { request, counted: 1, required: 2 } });
    expect((await h.lifecycle.deny(request.id, { kind: 'user', id: 'bob' }, { reason: 'freeze' })).ok).toBe(true);
    const got = await h.http.waitFor((all) => all.length >= 2);
    const types = got.map((r) => (JSON.parse(r.body) as { type: string; data: { approval: unknown } }));
    expect(types.map((t) => t.type).sort()).toEqual(['io.elevate.approval.recorded', 'io.elevate.request.denied']);
    expect(types.find((t) => t.type.endsWith('approval.recorded'))!.data.approval).toEqual({ approver: 'ann@contoso.com', counted: 1, required: 2 });
  });
});

describe('events that are not request changes', () => {
  it('drift found and a failed audit verification are routed and delivered like the rest', async () => {
    h = await createNotificationHarness({ policy: parseNotificationsYaml(`
channels: { hook: { type: webhook, urlEnv: ELEVATE_NOTIFY_HOOK_URL, secretEnv: ELEVATE_NOTIFY_HOOK_SECRET } }
routes: [{ name: r, events: [drift.found, audit.verification_failed], agents: [sre-agent], channels: [hook] }, { name: a, events: [audit.verification_failed], channels: [hook] }]
`) });
    h.notifications.driftFound('agent-1', 2);
    h.notifications.auditVerificationFailed('entry 17: hash does not match its content', 17);
    const got = await h.http.waitFor((all) => all.length >= 2);
    const events = got.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, any> });
    const drift = events.find((e) => e.type === 'io.elevate.drift.found')!;
    expect(drift.data.drift).toEqual({ agentId: 'agent-1', agentName: 'sre-agent', differences: 2 });
    expect(drift.data.link).toBe(`${BASE_URL}/agents/agent-1`);
    const audit = events.find((e) => e.type === 'io.elevate.audit.verification_failed')!;
    expect(audit.data.audit).toEqual({ problem: 'entry 17: hash does not match its content', seq: 17 });
  });
});

describe('the transactional outbox', () => {
  it('the outbox rows commit with the request, and a failing outbox write rolls the request back', async () => {
    h = await createNotificationHarness({ start: false });
    const request = await h.raise();
    expect(await h.notifications.store.list({ requestId: request.id })).toHaveLength(4);

    const failing: RequestChangeOutbox = {
      async record(tx) {
        await tx.run(`INSERT INTO notification_outbox (id, event_id, event_type, route, channel, event_json, status, next_attempt_at, created_at, updated_at) VALUES ('x', 'e', 't', 'r', 'c', '{}', 'pending', '', '', '')`);
        throw new Error('outbox write failed');
      },
      retract: async () => undefined,
    };
    const store = createOperationRequestStore(h.db, { outbox: failing });
    const other = pendingRequest({ id: 'req-rolled-back', idempotencyKey: 'k-rb', operationHash: 'a'.repeat(64) });
    await expect(store.insert({ request: other, submissionHash: 'b'.repeat(64) })).rejects.toThrow('outbox write failed');
    expect(await store.get('req-rolled-back')).toBeUndefined();
    expect(await h.notifications.store.get('x')).toBeUndefined();
  });

  it('a transition whose audit append fails is reverted and its notifications retracted: nothing is sent', async () => {
    h = await createNotificationHarness({ policy: onlyHook });
    const request = await h.raise();
    await h.http.waitFor((all) => all.length >= 1);
    // The raise's delivery is audited and marked after the receiver answered: let that finish
    // before the log fails, or it is that delivery's audit entry that fails (and it is re-sent).
    await until(async () => (await h!.notifications.store.list({ requestId: request.id })).every((r) => r.status === 'delivered'));
    h.setAuditFailing(true);
    await expect(h.lifecycle.deny(request.id, { kind: 'user', id: 'bob' }, { reason: 'no' })).rejects.toThrow(/audit log is unavailable/);
    h.setAuditFailing(false);
    expect((await h.store.get(request.id))?.request.state).toBe('pending_elevation');
    expect((await h.notifications.store.list({ requestId: request.id })).map((r) => r.eventType)).toEqual(['request.raised']);
    await h.notifications.dispatcher.idle();
    expect(h.http.received).toHaveLength(1);
  });

  it('a transition’s rows wait for its audit record, then go at once', async () => {
    h = await createNotificationHarness({ policy: onlyHook });
    const request = await h.raise();
    await h.http.waitFor((all) => all.length >= 1);
    expect((await h.lifecycle.deny(request.id, { kind: 'user', id: 'bob' }, { reason: 'no' })).ok).toBe(true);
    const got = await h.http.waitFor((all) => all.length >= 2);
    expect(JSON.parse(got[1]!.body).type).toBe('io.elevate.request.denied');
    await until(async () => (await h!.notificationAudit()).filter((e) => e.eventType === 'notification.delivered').length === 2);
    const audit = await h.auditLog.list({ requestId: request.id }, { limit: 100 });
    const order = audit.entries.reverse().map((e) => e.eventType);
    // The transition is on the audit record before its notification's delivery.
    expect(order.indexOf('operation.transition')).toBeLessThan(order.lastIndexOf('notification.delivered'));
  });
});

describe('failures', () => {
  it('a receiver that is down for a while, then up, loses nothing', async () => {
    h = await createNotificationHarness({ policy: onlyTeams, maxAttempts: 50 });
    await h.http.stop();
    const a = await h.raise();
    const b = await h.raise();
    await until(async () => (await h!.notificationAudit()).filter((e) => e.eventType === 'notification.attempted').length >= 4);
    const failed = (await h.notificationAudit()).filter((e) => e.eventType === 'notification.attempted');
    expect(failed[0]!.details.error).toBe('network ECONNREFUSED');
    await h.http.restart();
    const got = await h.http.waitFor((all) => all.length >= 2);
    const ids = got.map((r) => r.body).join();
    expect(ids).toContain(`/approvals/${a.id}`);
    expect(ids).toContain(`/approvals/${b.id}`);
    // Each is marked delivered once the receiver's answer is back.
    await until(async () => (await h!.notifications.store.list({ status: 'delivered' })).length === 2);
    expect(await h.notifications.store.list({ status: 'pending' })).toEqual([]);
    expectNoLeak(JSON.stringify(await h.notificationAudit()), secrets());
  });

  it('a 429 with Retry-After is honoured (seconds, then an HTTP-date)', async () => {
    h = await createNotificationHarness({ policy: onlyTeams, retryBaseMs: 10 });
    const path = `/teams/${SECRET_PATH}`;
    const notBefore = new Date(Date.now() + 3000).toUTCString();
    h.http.script(path, [
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 503, headers: { 'retry-after': notBefore } },
    ]);
    await h.raise();
    const got = await h.http.waitFor((all) => all.length >= 3, 20_000);
    // Lower bounds only: the dispatcher may not come back before the receiver said it could.
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(got[2]!.at).toBeGreaterThanOrEqual(Date.parse(notBefore));
    const attempts = (await h.notificationAudit()).filter((e) => e.eventType === 'notification.attempted');
    expect(attempts.map((e) => e.details.error)).toEqual(['http 429', 'http 503']);
    expect(attempts[0]!.details.retryAfterMs).toBe(1000);
  });

  it('a channel that always fails is dead-lettered after the limit, and every attempt is audited', async () => {
    h = await createNotificationHarness({ policy: onlyTeams, maxAttempts: 3, retryBaseMs: 10 });
    h.http.always(`/teams/${SECRET_PATH}`, { status: 500 });
    const request = await h.raise();
    await until(async () => (await h!.notifications.store.list({ status: 'dead' })).length === 1);
    const audit = await h.notificationAudit();
    expect(audit.map((e) => e.eventType)).toEqual(['notification.attempted', 'notification.attempted', 'notification.attempted', 'notification.dead_lettered']);
    expect(audit[3]!.details).toMatchObject({ channel: 'teams', channelType: 'teams', error: 'http 500', why: 'attempts_exhausted', attempt: 3 });
    expect(h.http.received).toHaveLength(3);
    expect((await h.notifications.store.list({ requestId: request.id }))[0]!.lastError).toBe('http 500');
    expectNoLeak(JSON.stringify(audit), secrets());
  });

  it('a refused request (404: the URL is wrong) is dead-lettered at once', async () => {
    h = await createNotificationHarness({ policy: onlyTeams });
    h.http.always(`/teams/${SECRET_PATH}`, { status: 404 });
    await h.raise();
    await until(async () => (await h!.notifications.store.list({ status: 'dead' })).length === 1);
    expect((await h.notificationAudit()).at(-1)!.details).toMatchObject({ why: 'permanent_failure', error: 'http 404' });
  });

  it('a hanging channel never delays a decision; its attempt times out and is retried', async () => {
    h = await createNotificationHarness({ policy: onlyHook, timeoutMs: 1500 });
    h.http.script(`/hook/${SECRET_PATH}`, [{ status: 200, hang: true }]);
    const request = await h.raise();
    await until(() => h!.http.hanging() === 1);
    // The decision completes while the receiver still holds the delivery open.
    expect((await h.lifecycle.deny(request.id, { kind: 'user', id: 'bob' }, { reason: 'no' })).ok).toBe(true);
    expect(h.http.hanging()).toBe(1);
    await h.http.waitFor((all) => all.length >= 3);
    const attempts = (await h.notificationAudit()).filter((e) => e.eventType === 'notification.attempted');
    expect(attempts[0]!.details.error).toBe('timeout');
  });
});

describe('one channel hanging', () => {
  it('holds back neither another channel nor the next notification', async () => {
    h = await createNotificationHarness({
      timeoutMs: 3000,
      policy: parseNotificationsYaml(`
channels:
  teams: { type: teams, urlEnv: ELEVATE_NOTIFY_TEAMS_URL }
  hook: { type: webhook, urlEnv: ELEVATE_NOTIFY_HOOK_URL, secretEnv: ELEVATE_NOTIFY_HOOK_SECRET }
routes: [{ name: r, events: [request.raised], channels: [teams, hook] }]
`),
    });
    h.http.script(`/teams/${SECRET_PATH}`, [{ status: 200, hang: true }, { status: 200, hang: true }]);
    const a = await h.raise();
    const b = await h.raise();
    // Both webhook deliveries arrive and are recorded while Teams still holds both of its own open.
    await until(async () => (await h!.notificationAudit()).filter((e) => e.eventType === 'notification.delivered').length === 2);
    // Teams' second delivery is claimed independently of the webhook's: wait until it hangs too.
    await until(() => h!.http.hanging() === 2);
    const hooks = h.http.received.filter((r) => r.path.startsWith('/hook/')).map((r) => r.body);
    expect(hooks.some((b0) => b0.includes(a.id)) && hooks.some((b1) => b1.includes(b.id))).toBe(true);
  });
});

describe('restart', () => {
  it('rows pending when the dispatcher stopped are delivered by the next process', async () => {
    h = await createNotificationHarness({ policy: onlyTeams, start: false });
    const request = await h.raise();
    expect(await h.notifications.store.list({ status: 'pending' })).toHaveLength(1);
    await h.restart();
    const got = await h.http.waitFor((all) => all.length >= 1);
    expect(got[0]!.body).toContain(`/approvals/${request.id}`);
    await until(async () => (await h!.notifications.store.list({ status: 'delivered' })).length === 1);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
