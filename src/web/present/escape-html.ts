/** HTML-escapes a value for text or a double- or single-quoted attribute (what nunjucks' autoescape does). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
