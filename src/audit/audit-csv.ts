/**
 * CSV rendering of audit entries. Agent-supplied text is hostile: a cell that a spreadsheet
 * would read as a formula (starting with = + - @, or a tab or carriage return that some
 * spreadsheets skip before looking) gets a leading apostrophe, and every cell with a comma,
 * quote or line break is quoted (RFC 4180).
 */
import { CONTENT_COLUMNS } from './audit-hash.ts';
import type { AuditEntry } from './audit-types.ts';

/** The hashed content columns in table order, then the chain's own two. */
export const CSV_COLUMNS = [...CONTENT_COLUMNS, 'prev_hash', 'hash'] as const;

const FORMULA_START = /^[\s]*[=+\-@]|^[\t\r]/;

export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRecord(cells: ReadonlyArray<string | number | null>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function csvHeader(): string {
  return csvRecord(CSV_COLUMNS);
}

export function entryToCsv(e: AuditEntry): string {
  return csvRecord([
    e.seq,
    e.ts,
    e.actor.kind,
    e.actor.id,
    e.actor.name,
    e.eventType,
    e.subject,
    e.agentId,
    e.requestId,
    e.action,
    e.scope,
    e.outcome,
    e.actingIdentity,
    e.approverId,
    JSON.stringify(e.details),
    e.prevHash,
    e.hash,
  ]);
}
