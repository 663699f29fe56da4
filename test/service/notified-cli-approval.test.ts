/**
 * Issue 13 end to end, both halves together through the whole service: the agent raises an
 * elevation; the Teams card reaches the approvers' channel with a deep link; an administrator takes
 * the request id from that link and approves it from the CLI (device code sign-in, then a fresh
 * one bound to the request); the operation runs exactly once, as the administrator; and the audit
 * log tells the whole story: raised, notified, fresh sign-in, exchange, decision, execution, token
 * discarded.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFullService, type FullService } from '../support/full-service.ts';
import { elevateCliAs } from '../support/elevate-cli-as-person.ts';
import { startHttpReceiver, type HttpReceiver } from '../notifications/support/receivers.ts';
import { adaptiveCardIssues } from '../notifications/support/payload-checks.ts';
import { policiesWithNotifications } from '../notifications/support/policies-with-notifications.ts';

let fs: FullService;
let receiver: HttpReceiver;

beforeAll(async () => {
  receiver = await startHttpReceiver();
  fs = await startFullService({
    ELEVATE_POLICIES_DIR: policiesWithNotifications(`channels:
  teams: { type: teams, urlEnv: ELEVATE_NOTIFY_TEAMS_URL }
routes:
  - name: approvers
    events: [request.raised, request.executed]
    channels: [teams]
`),
    ELEVATE_NOTIFY_TEAMS_URL: `${receiver.url}/teams/workflows-sig`,
  });
}, 120_000);

afterAll(async () => {
  await fs?.close();
  await receiver?.close();
});

describe('notified, then approved from the CLI', { timeout: 180_000 }, () => {
  it('the card links to the request, the CLI approves it through the device code flow, it runs once and the audit shows it all', async () => {
    const sandbox = fs.service.context.sandbox!;
    const checkout = sandbox.tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === 'ca-checkout')!;
    const revision = checkout.children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
    const submitted = await fetch(`${fs.url}/api/v1/operations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await fs.agentToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        method: 'POST',
        path: `${revision.id}/restart`,
        apiVersion: '2024-03-01',
        justification: 'checkout revision wedged',
        trigger: { kind: 'chat', ref: 'thread-4242' },
        idempotencyKey: randomUUID(),
      }),
    });
    const raised = (await submitted.json()) as { id: string; state: string };
    expect(submitted.status).toBe(201);
    expect(raised.state).toBe('pending_elevation');

    // The approvers hear of it: an Adaptive Card whose action opens the request page.
    const [card] = await receiver.waitFor((all) => all.some((r) => r.body.includes(raised.id)));
    const content = (JSON.parse(card!.body) as { attachments: Array<{ content: { actions: Array<{ url: string }> } }> }).attachments[0]!.content;
    expect(adaptiveCardIssues(content)).toEqual([]);
    const link = new URL(content.actions[0]!.url);
    expect(link.origin + link.pathname).toBe(`${fs.url}/approvals/${raised.id}`);
    const idFromLink = link.pathname.split('/').at(-1)!;
    // The dispatcher audits the delivery once the receiver has answered: wait for that entry, so
    // the order checked below is the service's, not the race between it and the approval.
    await expect
      .poll(async () => (await fs.service.context.store.all(`SELECT 1 AS one FROM audit_log WHERE request_id = ? AND event_type = 'notification.delivered'`, [raised.id])).length, { timeout: 15_000 })
      .toBe(1);

    // The administrator approves from a terminal.
    const root = mkdtempSync(join(tmpdir(), 'elevate-notified-cli-'));
    const place = { url: fs.url, sandbox, home: join(root, 'home'), work: join(root, 'work'), tmp: join(root, 'tmp') };
    for (const d of [place.home, place.work, place.tmp]) mkdirSync(d);
    const run = await elevateCliAs(place, ['requests', 'approve', idFromLink, '--reason', 'INC-4242: restart approved', '--output', 'json'], 'admin');
    expect(run.code, run.stderr).toBe(0);
    expect(run.codesEntered).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'executed', requestId: raised.id, state: 'succeeded' });

    // It ran once, as the administrator, and the approvers hear that too.
    const events = (
      await fs.service.context.store.all<{ event_type: string }>(`SELECT event_type FROM audit_log WHERE request_id = ? ORDER BY seq`, [raised.id])
    ).map((r) => r.event_type);
    expect(events.filter((t) => t === 'arm.request')).toHaveLength(1);
    const order = ['operation.requested', 'notification.delivered', 'approval.sign-in.started', 'approval.obo.started', 'approval.decided', 'arm.request', 'token.discarded'].map((t) =>
      events.indexOf(t),
    );
    expect(order.every((i) => i >= 0), events.join(' ')).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    await receiver.waitFor((all) => all.filter((r) => r.body.includes(raised.id)).length >= 2);
  });
});
