import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Database } from '../store/database.ts';
import { keysetPages } from '../store/keyset-pages.ts';
import { chainTail, readAnchor } from './audit-anchor.ts';
import { AuditAppendError } from './audit-errors.ts';
import type { AuditRow } from './audit-hash.ts';
import { prepareEntry } from './audit-input.ts';
import { appendedEntry, filterClause, ROW_COLUMNS, rowToEntry, wholeNumber } from './audit-rows.ts';
import type { AuditAnchor, AuditEntry, AuditFilter, AuditInput, AuditPage, AuditPageResult, VerifyOptions, VerifyResult } from './audit-types.ts';
import { verifyChain } from './audit-verify.ts';
import { AuditWriter } from './audit-writer.ts';

export interface AuditLog {
  /**
   * Records an entry and resolves once it is durably committed. Rejects with AuditAppendError
   * on any failure (bad input, read-only or full disk, closed store): audit first, act second.
   */
  append(input: AuditInput): Promise<AuditEntry>;
  get(seq: number): Promise<AuditEntry | undefined>;
  /** Newest first, keyset-paginated on seq. */
  list(filter?: AuditFilter, page?: AuditPage): Promise<AuditPageResult>;
  /** Oldest first, streamed page by page with constant memory (exports). */
  iterate(filter?: AuditFilter): AsyncGenerator<AuditEntry, void, undefined>;
  verify(opts?: VerifyOptions): Promise<VerifyResult>;
  /** The last entry's seq and hash (the anchor's, or 0 and 64 zeros, when empty): for checkpoints. */
  head(): Promise<{ seq: number; hash: string }>;
  anchor(): Promise<AuditAnchor | undefined>;
}

export interface AuditLogDeps {
  clock?: () => Date;
  logger?: Logger;
  metrics?: Pick<Metrics, 'auditAppends'>;
  /**
   * Most appends accepted and not yet committed or failed (default 10,000); beyond it an append
   * waits for room, in order (back-pressure; nothing is dropped).
   */
  maxQueuedAppends?: number;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;
const ITERATE_PAGE = 1000;

export function createAuditLog(db: Database, deps: AuditLogDeps = {}): AuditLog {
  const clock = deps.clock ?? (() => new Date());
  const writer = new AuditWriter(db, {
    clock,
    onCommitted: (n) => deps.metrics?.auditAppends.inc({ result: 'ok' }, n),
    onFailed: (n, err) => {
      deps.metrics?.auditAppends.inc({ result: 'error' }, n);
      deps.logger?.error({ err, entries: n }, 'audit append failed: entries not recorded');
    },
    ...(deps.maxQueuedAppends === undefined ? {} : { maxQueued: deps.maxQueuedAppends }),
  });

  return {
    async append(input) {
      let prepared;
      try {
        prepared = prepareEntry(input);
      } catch (err) {
        deps.metrics?.auditAppends.inc({ result: 'rejected' });
        if (err instanceof AuditAppendError) throw err;
        throw new AuditAppendError(`audit entry rejected: ${(err as Error).message}`, { cause: err });
      }
      return appendedEntry(await writer.write(prepared));
    },

    async get(seq) {
      const row = await db.get<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq = ?`, [wholeNumber(seq, 'seq')]);
      return row && rowToEntry(row);
    },

    async list(filter = {}, page = {}) {
      const limit = page.limit ?? DEFAULT_PAGE;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new TypeError(`audit page limit must be 1..${MAX_PAGE}`);
      const { terms, params } = filterClause(filter);
      if (page.before !== undefined) {
        terms.push('seq < ?');
        params.push(wholeNumber(page.before, 'before'));
      }
      const where = terms.length > 0 ? `WHERE ${terms.join(' AND ')}` : '';
      // One row more than asked tells whether an older page exists without a COUNT.
      const rows = await db.all<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log ${where} ORDER BY seq DESC LIMIT ?`, [...params, limit + 1]);
      const entries = rows.slice(0, limit).map(rowToEntry);
      return { entries, nextBefore: rows.length > limit ? entries[entries.length - 1]!.seq : null };
    },

    async *iterate(filter = {}) {
      const { terms, params } = filterClause(filter);
      const pages = keysetPages<AuditRow>(db, ITERATE_PAGE, (last) => ({
        sql: `SELECT ${ROW_COLUMNS} FROM audit_log WHERE ${[...terms, 'seq > ?'].join(' AND ')} ORDER BY seq LIMIT ${ITERATE_PAGE}`,
        params: [...params, last?.seq ?? 0],
      }));
      for await (const page of pages) for (const row of page) yield rowToEntry(row);
    },

    async verify(opts) {
      const result = await verifyChain(db, opts);
      if (!result.ok) deps.logger?.warn({ firstBreak: result.firstBreak }, 'audit chain verification failed');
      return result;
    },

    head: () => chainTail(db),
    anchor: () => readAnchor(db),
  };
}
