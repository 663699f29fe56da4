/** HTML-escapes a value for text or a double- or single-quoted attribute (what nunjucks' autoescape does). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escaped text with a line-break opportunity (<wbr>) after each "/": ARM paths and actions wrap at segments, not mid-word. */
export function breakAfterSlashes(value: string): string {
  return value.split('/').map(escapeHtml).join('/<wbr>');
}
