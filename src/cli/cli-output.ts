/**
 * Shared CLI conventions: every command takes `--output json|table`, prints machine output on
 * stdout, and reports a bad argument or failure as one line on stderr with a non-zero exit,
 * never a stack trace.
 */
import { Option } from 'commander';

export type OutputFormat = 'json' | 'table';

export class CliError extends Error {
  override name = 'CliError';
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

export const outputOption = () =>
  new Option('--output <format>', 'output format').choices(['json', 'table']).default('table');

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Renders rows as an aligned text table; values are stringified and newlines flattened. */
export function printTable(rows: Array<Record<string, unknown>>, columns?: string[]): void {
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v)).replace(/\s+/g, ' ');
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${line(cols.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => cell(r[c])))}\n`);
}

export function print(format: OutputFormat, value: unknown, toRows?: () => Array<Record<string, unknown>>): void {
  if (format === 'json') printJson(value);
  else if (toRows) printTable(toRows());
  else printJson(value);
}

/** One line on stderr and the exit code; the message is the error's own, never its stack. */
export function failAndExit(err: unknown): never {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`elevate: ${message.split('\n')[0]}\n`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
}
