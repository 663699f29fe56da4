/**
 * A point in time as pages print it: a `<time datetime>` element whose text reads well without
 * JavaScript (UTC, to the minute) and whose title is the exact UTC value. public/js/local-time.js
 * rewrites the text into the reader's local time with a relative part ("3 h ago", "in 42 min");
 * the datetime and title stay UTC so nothing is lost on hover.
 */
import { escapeHtml } from './escape-html.ts';

/** "2026-12-04 14:47 UTC" from an ISO-8601 instant; undefined for anything that is not one. */
export function utcText(iso: string): string | undefined {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface TimeTagOptions {
  /** Add a relative part ("3 h ago"); on by default. */
  relative?: boolean;
  /** Show only the relative part (with the local time in the title). */
  relativeOnly?: boolean;
}

/**
 * The `<time>` markup for an ISO instant, every value escaped. A value that does not parse is
 * printed as plain (escaped) text: a page never hides what a record holds.
 */
export function timeTag(iso: unknown, options: TimeTagOptions = {}): string {
  if (iso === undefined || iso === null || iso === '') return '';
  const raw = String(iso);
  const text = utcText(raw);
  if (text === undefined) return escapeHtml(raw);
  const exact = new Date(Date.parse(raw)).toISOString();
  const mode = options.relativeOnly ? 'relative' : options.relative === false ? 'absolute' : 'both';
  return `<time datetime="${escapeHtml(exact)}" title="${escapeHtml(exact)}" data-time="${mode}">${escapeHtml(text)}</time>`;
}
