/**
 * Streaming exports of a filtered view as JSON Lines or CSV. Entries are pulled page by page
 * from the query's stream only as fast as the destination drains (pipeline backpressure), so
 * memory stays flat whatever the size. Each file ends with a trailer naming the last entry it
 * contains (seq and hash), which can be checked against the chain (`elevate audit verify`, or
 * the entry page).
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvHeader, csvRecord, entryToCsv, CSV_COLUMNS } from './audit-csv.ts';
import type { AuditOrder } from './audit-cursor.ts';
import type { AuditQuery } from './audit-query.ts';
import type { AuditSearch } from './audit-search.ts';
import type { AuditEntry } from './audit-types.ts';

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export interface ExportTrailer {
  format: 'elevate-audit-export/v1';
  entries: number;
  order: AuditOrder;
  /** The last entry in the file: its seq and hash, to look up in the chain. Null when empty. */
  lastSeq: number | null;
  lastHash: string | null;
  exportedAt: string;
  search: AuditSearch;
}

export interface ExportOptions {
  format: ExportFormat;
  order?: AuditOrder;
  clock?: () => Date;
}

export function isExportFormat(value: unknown): value is ExportFormat {
  return typeof value === 'string' && (EXPORT_FORMATS as readonly string[]).includes(value);
}

/** Bytes per chunk handed to the destination: large enough to be cheap, small enough to stay flat. */
const CHUNK = 64 * 1024;

/** The export as text chunks; `done` receives the trailer once the last chunk was produced. */
export async function* exportChunks(
  entries: AsyncIterable<AuditEntry>,
  options: ExportOptions & { search: AuditSearch },
  done?: (trailer: ExportTrailer) => void,
): AsyncGenerator<string, void, undefined> {
  const clock = options.clock ?? (() => new Date());
  const line = options.format === 'csv' ? entryToCsv : (e: AuditEntry) => `${JSON.stringify(e)}\n`;
  let buffer = options.format === 'csv' ? csvHeader() : '';
  let count = 0;
  let last: AuditEntry | undefined;
  for await (const entry of entries) {
    buffer += line(entry);
    count += 1;
    last = entry;
    if (buffer.length >= CHUNK) {
      yield buffer;
      buffer = '';
    }
  }
  const trailer: ExportTrailer = {
    format: 'elevate-audit-export/v1',
    entries: count,
    order: options.order ?? 'desc',
    lastSeq: last?.seq ?? null,
    lastHash: last?.hash ?? null,
    exportedAt: clock().toISOString(),
    search: options.search,
  };
  buffer += options.format === 'csv' ? csvTrailer(trailer) : `${JSON.stringify({ trailer })}\n`;
  yield buffer;
  done?.(trailer);
}

/**
 * The CSV trailer keeps the file rectangular: `trailer` in the seq column, the export time as
 * ts, `export.trailer` as the event type, the counts as details and the last entry's hash in
 * the hash column.
 */
function csvTrailer(t: ExportTrailer): string {
  const cells: Array<string | number | null> = CSV_COLUMNS.map(() => null);
  cells[0] = 'trailer';
  cells[1] = t.exportedAt;
  cells[CSV_COLUMNS.indexOf('event_type')] = 'export.trailer';
  cells[CSV_COLUMNS.indexOf('details')] = JSON.stringify({ format: t.format, entries: t.entries, order: t.order, lastSeq: t.lastSeq, search: t.search });
  cells[CSV_COLUMNS.indexOf('hash')] = t.lastHash;
  return csvRecord(cells);
}

/** Writes the export of `search` to `out` (a file, stdout, an HTTP response), honouring backpressure. */
export async function writeAuditExport(
  query: Pick<AuditQuery, 'stream'>,
  search: AuditSearch,
  out: Writable,
  options: ExportOptions & { end?: boolean },
): Promise<ExportTrailer> {
  let trailer: ExportTrailer | undefined;
  const order = options.order ?? 'desc';
  const chunks = exportChunks(query.stream(search, { order }), { ...options, order, search }, (t) => {
    trailer = t;
  });
  await pipeline(Readable.from(chunks, { objectMode: false }), out, { end: options.end ?? true });
  if (!trailer) throw new Error('export ended before its trailer was written');
  return trailer;
}
