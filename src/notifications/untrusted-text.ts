/**
 * Agent-supplied text (justification, trigger reference) made inert for each format (pure). The
 * agent is hostile: its text must not ping a channel, forge a link, or restyle the message.
 * - all formats: URLs are defanged (`https[:]//`), so no client turns them into links;
 * - Slack mrkdwn: `&`, `<`, `>` escaped as Slack documents
 *   (https://api.slack.com/reference/surfaces/formatting#escaping), which also disarms
 *   `<!channel>`, `<@U123>` and `<url|label>`; `@channel`/`@here`/`@everyone` get a word joiner;
 *   formatting characters are replaced by look-alikes (mrkdwn has no backslash escape);
 * - Adaptive Cards: the text goes only into TextRun, which renders no Markdown
 *   (https://learn.microsoft.com/en-us/adaptive-cards/schema-explorer/text-run);
 * - HTML: nunjucks autoescaping in the email template.
 */

/** Newlines and tabs kept; other control and bidi-override characters removed. */
export function stripControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '');
}

export function defangUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]{0,20}):\/\//gi, '$1[:]//').replace(/\bwww\./gi, 'www[.]');
}

/** For any plain-text surface (email text part, Adaptive Card TextRun, CloudEvents data). */
export function inertText(text: string): string {
  return defangUrls(stripControls(text));
}

const SLACK_LOOKALIKES: Record<string, string> = { '*': '∗', _: 'ˍ', '~': '˜', '`': 'ˋ' };

export function slackMrkdwnText(text: string): string {
  return inertText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[*_~`]/g, (c) => SLACK_LOOKALIKES[c]!)
    .replace(/@(channel|here|everyone)\b/gi, '@\u2060$1');
}
