/**
 * Text from Elevate's API is printed to a terminal, and the agent wrote some of it (justification,
 * trigger, paths). Control characters (ANSI escapes that could rewrite the screen, carriage
 * returns that could hide a line, bidi overrides that reorder it) are shown as '?'.
 */
export function terminalSafe(value: unknown): string {
  const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
}
