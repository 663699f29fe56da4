import { hash as oneShotHash } from 'node:crypto';
import type { Queryable, SqlDialect } from '../store/database.ts';
import { keysetPages } from '../store/keyset-pages.ts';
import { sqliteDialect } from '../store/sql-dialect.ts';
import { computeEntryHash, CONTENT_COLUMNS, type AuditRow } from './audit-hash.ts';
import { ROW_COLUMNS } from './audit-rows.ts';
import type { ChainBreak } from './audit-types.ts';

export const WALK_PAGE = 5000;

export const CONTENT_PAIRS = [...CONTENT_COLUMNS].sort().map((c) => [c, c] as const);

/** SQL for a row's canonical content JSON: SQLite's json_object emits RFC 8785 text for this flat shape. */
export const CONTENT_JSON_SQL = sqliteDialect(undefined).canonicalJsonObject(CONTENT_PAIRS)!;

/** A source without a dialect is SQLite's (see WalkSource). */
const SQLITE = sqliteDialect(undefined);
/** Characters of a hex SHA-256 hash. */
const HASH_HEX = 64;

/** What the walk reads through; without a dialect it is SQLite (json_object). */
export type WalkSource = Pick<Queryable, 'get' | 'all'> & { readonly dialect?: SqlDialect };

/**
 * `hash || prev_hash || canonical content JSON`, built by SQLite in one column. Turning 17
 * columns into JS values costs several times more than hashing them, so verification asks
 * SQLite for the hash input as one string and hashes that. It is only a fast pre-check: when
 * the hash does not match, the row is read in full and judged by `computeEntryHash`, the one
 * authoritative definition, using its real columns. A match is sound: equal JSON text means
 * equal content values, and the SQL builds the column only when both hashes are exactly 64
 * characters of text, so the offsets the check reads them at are theirs.
 */
interface ChainRow {
  seq: number;
  chain: string | null;
}

interface Checked {
  seq: number;
  prevHash: string;
  hash: string;
  consistent: boolean;
}

/** How far the walk has got: the last intact entry, and the one before it (for insertions). */
export interface WalkState {
  /** The chain's start (the anchor's seq, or 0): where the search for a displaced entry begins. */
  readonly startSeq: number;
  lastSeq: number;
  /** hash of the last intact entry (the start's hash when none). */
  running: string;
  checked: number;
  /** The intact entry before the last one, to report an insertion at the right place. */
  before: { seq: number; hash: string } | undefined;
  /** prev_hash of the last intact entry. */
  lastPrevHash: string | undefined;
}

/**
 * Walks the chain in seq order from `state`, over entries with seq up to `upTo` (all when
 * undefined), one page at a time (constant memory), recomputing every hash; advances `state`
 * past each intact entry and returns the first break, naming it:
 * - changed: an entry does not match its hash, or does not link to its predecessor;
 * - deleted: seq jumps and the link is broken too (entries are missing);
 * - gap: seq jumps but the chain still links (numbering was altered, nothing is missing);
 * - inserted: two consecutive entries both link to the same predecessor (an entry was slotted
 *   in and later ones renumbered); reported at the slotted-in entry;
 * - reordered: the entry that really follows the last intact one sits elsewhere in the table.
 */
export async function walkChain(
  db: WalkSource,
  state: WalkState,
  upTo: number | undefined,
  onPage?: () => void,
): Promise<ChainBreak | undefined> {
  // `chain` is NULL when either hash is not 64 characters of text (a tamperer's doing, see below).
  const quick = ({ seq, chain }: ChainRow): Checked | undefined =>
    typeof chain === 'string' && oneShotHash('sha256', chain.slice(64), 'hex') === chain.slice(0, 64)
      ? { seq, hash: chain.slice(0, 64), prevHash: chain.slice(64, 128), consistent: true }
      : undefined;
  const fullCheck = (seq: number, full: AuditRow | undefined): Checked =>
    full ? { seq, hash: full.hash, prevHash: full.prev_hash, consistent: computeEntryHash(full.prev_hash, full) === full.hash } : { seq, hash: '', prevHash: '', consistent: false };
  const inFull = async (seq: number): Promise<Checked> => fullCheck(seq, await db.get<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq = ?`, [seq]));

  // An engine that cannot build the canonical text in SQL sends the columns instead, and every row
  // is judged by computeEntryHash straight away: the authoritative path, slower but the same answer.
  const dialect = db.dialect ?? SQLITE;
  const contentJson = dialect.canonicalJsonObject(CONTENT_PAIRS);
  const judge = contentJson === undefined ? (raw: ChainRow): Checked => fullCheck(raw.seq, raw as unknown as AuditRow) : (raw: ChainRow) => quick(raw);
  // The pre-check reads the two hashes back at fixed offsets, so it holds only while each is
  // exactly 64 characters of text: otherwise characters moved from one column into the other
  // (hash longer, prev_hash shorter) would leave the concatenation, and the check, unchanged
  // while the stored columns no longer recompute or link. Such a row gets NULL and a full check.
  const hashesWhole = `${dialect.textOfLength('hash', HASH_HEX)} AND ${dialect.textOfLength('prev_hash', HASH_HEX)}`;
  const columns = contentJson === undefined ? ROW_COLUMNS : `seq, CASE WHEN ${hashesWhole} THEN hash || prev_hash || ${contentJson} END AS chain`;

  const bound = upTo === undefined ? '' : 'AND seq <= ?';
  const pages = keysetPages<ChainRow>(db, WALK_PAGE, (last) => ({
    sql: `SELECT ${columns} FROM audit_log WHERE seq > ? ${bound} ORDER BY seq LIMIT ${WALK_PAGE}`,
    params: upTo === undefined ? [last?.seq ?? state.lastSeq] : [last?.seq ?? state.lastSeq, upTo],
  }));
  for await (const page of pages) {
    for (const raw of page) {
      const row = judge(raw) ?? (await inFull(raw.seq));
      const consistent = row.consistent;
      const expected = state.lastSeq + 1;
      const linked = row.prevHash === state.running;
      if (row.seq !== expected) {
        return linked && consistent
          ? { seq: expected, kind: 'gap', message: `sequence jumps from ${state.lastSeq} to ${row.seq} though entry ${row.seq} links to entry ${state.lastSeq}` }
          : { seq: expected, kind: 'deleted', message: `entries ${expected}${row.seq - 1 > expected ? `..${row.seq - 1}` : ''} are missing` };
      }
      if (linked && consistent) {
        state.before = { seq: state.lastSeq, hash: state.running };
        state.lastPrevHash = row.prevHash;
        state.running = row.hash;
        state.lastSeq = row.seq;
        state.checked += 1;
        continue;
      }
      if (linked) {
        return { seq: row.seq, kind: 'changed', message: `entry ${row.seq} does not match its hash: a column was changed` };
      }
      if (state.before && state.lastPrevHash === row.prevHash) {
        const inserted = state.lastSeq;
        state.lastSeq = state.before.seq;
        state.running = state.before.hash;
        state.checked -= 1;
        return { seq: inserted, kind: 'inserted', message: `entry ${inserted} was inserted: it and entry ${row.seq} both link to entry ${state.before.seq}` };
      }
      // The one full scan, run only once a break is found: is the true successor elsewhere?
      const successor = await db.get<{ seq: number }>('SELECT seq FROM audit_log WHERE prev_hash = ? AND seq > ? ORDER BY seq LIMIT 1', [
        state.running,
        state.startSeq,
      ]);
      if (successor && successor.seq !== row.seq) {
        return { seq: row.seq, kind: 'reordered', message: `entry ${row.seq} is out of place: the entry that follows ${state.lastSeq} is at ${successor.seq}` };
      }
      return {
        seq: row.seq,
        kind: 'changed',
        message: consistent
          ? `entry ${row.seq} does not link to entry ${state.lastSeq}: one of them was altered and re-hashed`
          : `entry ${row.seq} does not match its hash or link to entry ${state.lastSeq}: it was changed`,
      };
    }
    onPage?.();
  }
  return undefined;
}
