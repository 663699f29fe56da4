import { hash as oneShotHash } from 'node:crypto';
import type { Queryable } from '../store/database.ts';
import { keysetPages } from '../store/keyset-pages.ts';
import { chainStart } from './audit-anchor.ts';
import { computeEntryHash, CONTENT_COLUMNS, type AuditRow } from './audit-hash.ts';
import { ROW_COLUMNS } from './audit-rows.ts';
import type { ChainBreak, VerifyOptions, VerifyResult } from './audit-types.ts';

const PAGE_SIZE = 5000;

/**
 * `hash || prev_hash || canonical content JSON`, built by SQLite in one column. Turning 17
 * columns into JS values costs several times more than hashing them, so verification asks
 * SQLite for the hash input as one string (json_object emits RFC 8785 text for this flat
 * shape) and hashes that. It is only a fast pre-check: when the hash does not match, the row is
 * read in full and judged by `computeEntryHash`, the one authoritative definition, using its
 * real columns. A match is sound: equal JSON text means equal content values.
 */
const CHAIN_SQL = `hash || prev_hash || json_object(${[...CONTENT_COLUMNS]
  .sort()
  .map((c) => `'${c}', ${c}`)
  .join(', ')})`;

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

/**
 * Walks the chain in seq order, one page at a time (constant memory), recomputing every hash.
 * Stops at the first break and names it:
 * - changed: an entry does not match its hash, or does not link to its predecessor;
 * - deleted: seq jumps and the link is broken too (entries are missing);
 * - gap: seq jumps but the chain still links (numbering was altered, nothing is missing);
 * - inserted: two consecutive entries both link to the same predecessor (an entry was slotted
 *   in and later ones renumbered); reported at the slotted-in entry;
 * - reordered: the entry that really follows the last intact one sits elsewhere in the table.
 * What a hash chain cannot show by itself: entries removed from the end, or forged entries
 * appended with correct hashes. `lastSeq`/`lastHash` are returned so that an externally kept
 * (signed) checkpoint can be compared against them.
 */
export async function verifyChain(db: Pick<Queryable, 'get' | 'all'>, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const start = await chainStart(db);
  let running = start.hash;
  let lastSeq = start.seq;
  let checked = 0;
  // The intact entry before the last one, to report an insertion at the right place.
  let before: { seq: number; hash: string } | undefined;
  let lastPrevHash: string | undefined;

  const result = (firstBreak?: ChainBreak): VerifyResult =>
    firstBreak ? { ok: false, entriesChecked: checked, lastSeq, lastHash: running, firstBreak } : { ok: true, entriesChecked: checked, lastSeq, lastHash: running };

  // A NULL hash column (possible only after a tamperer rebuilt the table) makes `chain` NULL.
  const quick = ({ seq, chain }: ChainRow): Checked | undefined =>
    typeof chain === 'string' && oneShotHash('sha256', chain.slice(64), 'hex') === chain.slice(0, 64)
      ? { seq, hash: chain.slice(0, 64), prevHash: chain.slice(64, 128), consistent: true }
      : undefined;
  const inFull = async (seq: number): Promise<Checked> => {
    const full = await db.get<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq = ?`, [seq]);
    if (!full) return { seq, hash: '', prevHash: '', consistent: false };
    return { seq, hash: full.hash, prevHash: full.prev_hash, consistent: computeEntryHash(full.prev_hash, full) === full.hash };
  };

  const pages = keysetPages<ChainRow>(db, PAGE_SIZE, (last) => ({
    sql: `SELECT seq, ${CHAIN_SQL} AS chain FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ${PAGE_SIZE}`,
    params: [last?.seq ?? start.seq],
  }));
  for await (const page of pages) {
    for (const raw of page) {
      const row = quick(raw) ?? (await inFull(raw.seq));
      const consistent = row.consistent;
      const expected = lastSeq + 1;
      const linked = row.prevHash === running;
      if (row.seq !== expected) {
        return linked && consistent
          ? result({ seq: expected, kind: 'gap', message: `sequence jumps from ${lastSeq} to ${row.seq} though entry ${row.seq} links to entry ${lastSeq}` })
          : result({ seq: expected, kind: 'deleted', message: `entries ${expected}${row.seq - 1 > expected ? `..${row.seq - 1}` : ''} are missing` });
      }
      if (linked && consistent) {
        before = { seq: lastSeq, hash: running };
        lastPrevHash = row.prevHash;
        running = row.hash;
        lastSeq = row.seq;
        checked += 1;
        continue;
      }
      if (linked) {
        return result({ seq: row.seq, kind: 'changed', message: `entry ${row.seq} does not match its hash: a column was changed` });
      }
      if (before && lastPrevHash === row.prevHash) {
        const inserted = lastSeq;
        lastSeq = before.seq;
        running = before.hash;
        checked -= 1;
        return result({ seq: inserted, kind: 'inserted', message: `entry ${inserted} was inserted: it and entry ${row.seq} both link to entry ${before.seq}` });
      }
      // The one full scan, run only once a break is found: is the true successor elsewhere?
      const successor = await db.get<{ seq: number }>('SELECT seq FROM audit_log WHERE prev_hash = ? AND seq > ? ORDER BY seq LIMIT 1', [
        running,
        start.seq,
      ]);
      if (successor && successor.seq !== row.seq) {
        return result({
          seq: row.seq,
          kind: 'reordered',
          message: `entry ${row.seq} is out of place: the entry that follows ${lastSeq} is at ${successor.seq}`,
        });
      }
      return result({
        seq: row.seq,
        kind: 'changed',
        message: consistent
          ? `entry ${row.seq} does not link to entry ${lastSeq}: one of them was altered and re-hashed`
          : `entry ${row.seq} does not match its hash or link to entry ${lastSeq}: it was changed`,
      });
    }
    opts.onProgress?.(checked);
  }
  return result();
}
