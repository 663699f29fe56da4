/**
 * What each channel would post for a hostile request (pure renderers): valid for its format,
 * carrying the exact operation, the agent, the time left and the deep link, with the agent's text
 * made inert, and nothing secret.
 */
import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { cloudEventPayload } from '../../src/notifications/cloudevent-payload.ts';
import { emailContent } from '../../src/notifications/email-message.ts';
import { eventFromChange } from '../../src/notifications/notification-event.ts';
import { shortenArmPath, summarise, timeLeft } from '../../src/notifications/notification-summary.ts';
import { slackMessage } from '../../src/notifications/slack-blocks.ts';
import { teamsCard } from '../../src/notifications/teams-card.ts';
import { slackMrkdwnText } from '../../src/notifications/untrusted-text.ts';
import { pendingRequest, raisedEvent, RESTART } from './support/notification-fixtures.ts';
import { adaptiveCardIssues, expectNoLeak, slackLimitIssues } from './support/payload-checks.ts';

const BASE = 'https://elevate.contoso.com';
const now = new Date('2026-12-04T10:18:00Z');
const event = raisedEvent();
const summary = summarise(event, BASE, now);
const LINK = `${BASE}/approvals/req-0001`;

describe('the event', () => {
  it('summarises the body as keys and size, never values, and redacts pasted tokens', () => {
    expect(event.request?.body).toEqual({ kind: 'object', bytes: expect.any(Number), keys: ['properties', 'location'] });
    expect(event.request?.justification).toContain('[redacted token]');
    expectNoLeak(JSON.stringify(event));
  });

  it('is only made for the changes that are notified', () => {
    const r = pendingRequest();
    expect(eventFromChange({ kind: 'state', request: { ...r, state: 'approved' }, from: 'pending_elevation', at: r.createdAt, audited: false }, 'e')).toBeUndefined();
    expect(eventFromChange({ kind: 'state', request: { ...r, state: 'succeeded' }, from: 'executing', at: r.createdAt, audited: false }, 'e')?.type).toBe('request.executed');
    expect(eventFromChange({ kind: 'state', request: { ...r, state: 'outcome_unknown' }, from: 'executing', at: r.createdAt, audited: false }, 'e')?.type).toBe('request.failed');
    expect(eventFromChange({ kind: 'approval', request: r, approverUpn: 'a@b', counted: 1, required: 2, at: r.createdAt }, 'e')?.type).toBe('approval.recorded');
    expect(eventFromChange({ kind: 'approval', request: r, approverUpn: 'a@b', counted: 2, required: 2, at: r.createdAt }, 'e')).toBeUndefined();
    expect(eventFromChange({ kind: 'state', request: { ...r, state: 'approved' }, from: null, at: r.createdAt, audited: true }, 'e')).toBeUndefined();
  });
});

describe('the summary', () => {
  it('names the exact operation, the agent, the time left and links to the request page', () => {
    const facts = Object.fromEntries(summary.facts.map((f) => [f.label, f.value]));
    expect(facts.Operation).toBe('POST rg-sre-apps/…/revisions/app-frontend--rev1/restart');
    expect(facts.Action).toBe('Microsoft.App/containerApps/revisions/restart/action');
    expect(facts.Agent).toBe('sre-agent (agent-1)');
    expect(facts['Time left']).toBe('42 min left');
    expect(summary.link).toBe(LINK);
  });

  it('shortens paths and counts time left', () => {
    expect(shortenArmPath(RESTART)).toBe('rg-sre-apps/…/revisions/app-frontend--rev1/restart');
    expect(shortenArmPath('/subscriptions/3f2a9c1e-0000-4000-8000-00000000a001/resourceGroups/rg')).toBe('rg');
    expect(timeLeft('2026-12-04T12:00:00Z', now)).toBe('1 h 42 min left');
    expect(timeLeft('2026-12-04T10:00:00Z', now)).toBe('expired');
    expect(timeLeft(undefined, now)).toBeUndefined();
  });
});

describe('Microsoft Teams', () => {
  const message = teamsCard(summary) as { type: string; attachments: Array<{ contentType: string; content: Record<string, unknown> }> };
  const card = message.attachments[0]!.content;

  it('is a message with one Adaptive Card 1.4 the SDK parses and validates without an issue', () => {
    expect(message.type).toBe('message');
    expect(message.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.version).toBe('1.4');
    expect(adaptiveCardIssues(card)).toEqual([]);
  });

  it('puts every value in a TextRun (no Markdown), defangs links, and has one link: the request page', () => {
    const json = JSON.stringify(card);
    const blocks = card.body as Array<{ type: string }>;
    expect(blocks.every((b) => b.type === 'RichTextBlock')).toBe(true);
    expect(json).not.toContain('https://evil.example');
    expect(json).toContain('https[:]//evil.example');
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Review the request', url: LINK }]);
    expect(adaptiveCardIssues({ ...card, body: [{ type: 'Unknown' }] })).not.toEqual([]);
    expectNoLeak(json);
  });
});

describe('Slack', () => {
  const message = slackMessage(summary);
  const json = JSON.stringify(message);

  it('is Block Kit within Slack’s limits, with a button to the request page', () => {
    expect(slackLimitIssues(message as never)).toEqual([]);
    expect(json).toContain(LINK);
    const long = slackMessage({ ...summary, title: 'x'.repeat(400), facts: [{ label: 'l', value: 'y'.repeat(5000), untrusted: true }] });
    expect(slackLimitIssues(long as never)).toEqual([]);
  });

  it('escapes & < > so the agent cannot mention a channel, a person or forge a link', () => {
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<@U0123>');
    expect(json).not.toContain('<https://evil');
    expect(json).toContain('&lt;!channel&gt;');
    expect(slackMrkdwnText('a & b <!here> @channel *bold* `code`')).toBe('a &amp; b &lt;!here&gt; @\u2060channel ∗bold∗ ˋcodeˋ');
    expectNoLeak(json);
  });
});

describe('email', () => {
  const mail = emailContent(summary);

  it('escapes the agent’s text in HTML (nunjucks autoescape) and keeps it readable in the text part', () => {
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain(`<a href="${LINK}">Review the request</a>`);
    expect(mail.html.match(/<a /g)).toHaveLength(1);
    expect(mail.text).toContain('<script>alert(1)</script>');
    expect(mail.text).toContain(`Review the request: ${LINK}`);
    expect(mail.text).not.toContain('https://evil');
    expectNoLeak(mail.html + mail.text);
  });

  it('keeps the subject on one line', () => {
    const s = emailContent({ ...summary, headline: 'x\r\nBcc: attacker@evil.example' }).subject;
    expect(s).not.toMatch(/[\r\n]/);
  });
});

describe('CloudEvents webhook', () => {
  it('is a valid CloudEvents 1.0 structured event (SDK validation) with the facts and link', () => {
    const { headers, body } = cloudEventPayload(event, summary, BASE);
    expect(headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    const parsed = JSON.parse(body) as Record<string, any>;
    const ce = new CloudEvent(parsed as never);
    expect(ce.validate()).toBe(true);
    expect(parsed).toMatchObject({ specversion: '1.0', id: 'evt-1', type: 'io.elevate.request.raised', source: BASE, subject: 'req-0001' });
    expect(parsed.data.link).toBe(LINK);
    expect(parsed.data.request.method).toBe('POST');
    expect(parsed.data.request.untrustedJustification).toContain('https[:]//evil');
    expectNoLeak(body);
  });
});
