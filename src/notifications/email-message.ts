/**
 * The email for an event: an HTML part rendered by nunjucks with autoescaping (every value is
 * HTML-escaped; the template marks nothing safe) and a plain-text part from a second environment
 * without it. The agent's text is defanged in both (no client turns it into a link). The subject
 * is one line: control characters, newlines included, are removed so nothing is added to headers.
 */
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import type { NotificationSummary } from './notification-summary.ts';
import { inertText } from './untrusted-text.ts';

const VIEWS = fileURLToPath(new URL('../../views/notifications/', import.meta.url));

const html = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS), { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });
const text = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS), { autoescape: false, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });

export interface EmailContent {
  subject: string;
  html: string;
  text: string;
}

export function emailContent(summary: NotificationSummary): EmailContent {
  const safe = { ...summary, facts: summary.facts.map((f) => (f.untrusted ? { ...f, value: inertText(f.value) } : f)) };
  return {
    subject: `[Elevate] ${inertText(summary.headline)}`.replace(/[\r\n\t]+/g, ' ').slice(0, 200),
    html: html.render('email.html.njk', { summary: safe }),
    text: text.render('email.txt.njk', { summary: safe }),
  };
}
