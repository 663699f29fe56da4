/**
 * The Microsoft Teams message for an event (pure): an Adaptive Card in a `message` envelope, the
 * body Teams Workflows ("Post to a channel when a webhook request is received") and incoming
 * webhooks accept
 * (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook).
 * Schema version 1.4: Teams renders 1.5 on desktop but Workflows and mobile clients are held to
 * 1.4 and older (https://learn.microsoft.com/en-us/microsoftteams/platform/task-modules-and-cards/cards/cards-reference).
 * Every value is a TextRun inside a RichTextBlock: TextRun renders no Markdown
 * (https://learn.microsoft.com/en-us/adaptive-cards/schema-explorer/text-run), so the agent's
 * text cannot restyle the card or add links; the one link is Elevate's own Action.OpenUrl.
 */
import type { NotificationSummary } from './notification-summary.ts';
import { inertText } from './untrusted-text.ts';

export const ADAPTIVE_CARD_VERSION = '1.4';

type Json = Record<string, unknown>;

const run = (text: string, extra: Json = {}): Json => ({ type: 'TextRun', text, ...extra });

export function teamsCard(summary: NotificationSummary): Json {
  const body: Json[] = [
    { type: 'RichTextBlock', inlines: [run(summary.title, { size: 'Large', weight: 'Bolder' })] },
    ...summary.facts.map((f) => ({
      type: 'RichTextBlock',
      spacing: 'Small',
      inlines: [run(`${f.label}: `, { weight: 'Bolder' }), run(f.untrusted ? inertText(f.value) : f.value, f.untrusted ? { italic: true } : {})],
    })),
  ];
  const card: Json = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: ADAPTIVE_CARD_VERSION,
    fallbackText: summary.headline,
    body,
  };
  if (summary.link) card.actions = [{ type: 'Action.OpenUrl', title: summary.linkLabel ?? 'Open', url: summary.link }];
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}
