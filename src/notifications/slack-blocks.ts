/**
 * The Slack message for an event (pure): Block Kit for an incoming webhook, within Slack's limits
 * (https://api.slack.com/reference/block-kit/blocks): a header's plain_text at most 150
 * characters, a section's text at most 3000, at most 10 fields of at most 2000 each, 50 blocks per
 * message, a button's text 75 and its url 3000. Every value goes through slackMrkdwnText
 * (untrusted-text.ts) so the agent's text cannot mention anyone or forge a link; `text` is the
 * notification fallback, escaped the same way.
 */
import type { KnownBlock } from '@slack/types';
import type { NotificationSummary } from './notification-summary.ts';
import { slackMrkdwnText } from './untrusted-text.ts';

export const SLACK_LIMITS = { headerText: 150, sectionText: 3000, fieldText: 2000, fields: 10, blocks: 50, buttonText: 75, url: 3000 } as const;

const cut = (text: string, max: number) => ([...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text);

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export function slackMessage(summary: NotificationSummary): SlackMessage {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: cut(summary.title, SLACK_LIMITS.headerText), emoji: false } }];
  for (const f of summary.facts) {
    const value = slackMrkdwnText(f.value);
    const shown = f.untrusted ? `>${value.replace(/\n/g, '\n>')}` : value;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cut(`*${slackMrkdwnText(f.label)}*\n${shown}`, SLACK_LIMITS.sectionText), verbatim: true } });
  }
  if (summary.link) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: cut(summary.linkLabel ?? 'Open', SLACK_LIMITS.buttonText), emoji: false }, url: summary.link, action_id: 'open_request' }],
    });
  }
  return { text: cut(slackMrkdwnText(summary.headline), SLACK_LIMITS.sectionText), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}
