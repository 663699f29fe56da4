import { isUtf8 } from 'node:buffer';
import { hash as oneShotHash } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import type { SqliteConnection } from '../store/sqlite-connection.ts';
import { isHashHex } from './audit-hash.ts';
import { CONTENT_JSON_SQL } from './audit-verify-walk.ts';

/**
 * The fast pre-check of chain verification: which runs of entries are certainly intact.
 *
 * The seq key space after the chain's start is cut into ranges of `rangeKeys` keys, checked
 * independently (one thread each, see audit-verify-threads.ts): an entry's hash depends only on
 * its own stored prev_hash and content, so a range can be checked without its predecessors; only
 * the link into the range (its first entry's prev_hash) is left for the caller to join, in order.
 *
 * A range is read a page of PAGE_KEYS keys at a time as ONE blob built by SQLite (on a database
 * server, made in Node from the rows' COPY text: audit-copy-lines.ts): per entry
 * `seq ' ' hash prev_hash content-JSON`, entries separated by a newline. Turning thousands of rows
 * into JS objects and strings costs more than hashing them; a blob is one copy, and the hash
 * input is a slice of it. JSON text never holds a raw newline (control characters are escaped),
 * so the newline after the JSON ends the entry; hash and prev_hash are fixed-width, which SQLite
 * checks, and an entry that does not fit this shape is sent as an empty line.
 *
 * This only ever accepts. It stops a range at the first entry that is not plainly intact (seq not
 * the next one, hash not matching the pre-check text, not linking to the entry before, any odd
 * type or byte), and everything from there on is judged by the authoritative walk
 * (audit-verify-walk.ts), as is any range not joined to its predecessor. Acceptance is sound for
 * the reasons the walk's own pre-check is (equal JSON text means equal content values); the
 * page must also be valid UTF-8, so that these bytes are exactly what the walk would hash after
 * reading the text into JS.
 */

export const PAGE_KEYS = 5000;

/**
 * The page query on a SQLite file: params lo, hi. SQLite's column types are dynamic, so the
 * shape is checked here (a server's schema enforces it). The subquery's order feeds group_concat
 * (an ORDER BY inside the aggregate would sort again and double the query's cost).
 */
const PAGE_SQL = `SELECT count(*) AS n, CAST(group_concat(line, char(10)) AS BLOB) AS body FROM (
  SELECT CASE WHEN typeof(seq) = 'integer' AND typeof(hash) = 'text' AND typeof(prev_hash) = 'text'
    AND octet_length(hash) = 64 AND octet_length(prev_hash) = 64
    THEN seq || ' ' || hash || prev_hash || ${CONTENT_JSON_SQL} ELSE '' END AS line
  FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq)`;

const NEWLINE = 0x0a;
const SPACE = 0x20;
const ZERO = 0x30;
const HASH_HEX = 64;

/** Range `index` covers seq keys (lo, hi]. */
export interface RangePlan {
  /** The chain's start (the anchor's seq, or 0): range 0 begins after it. */
  start: number;
  /** The highest seq when verification began: the last range ends there. */
  top: number;
  /** Seq keys per range: the unit threads claim. */
  rangeKeys: number;
}

export function rangeCount(plan: RangePlan): number {
  return Math.max(0, Math.ceil((plan.top - plan.start) / plan.rangeKeys));
}

export function rangeBounds(plan: RangePlan, index: number): { lo: number; hi: number } {
  const lo = plan.start + index * plan.rangeKeys;
  return { lo, hi: Math.min(lo + plan.rangeKeys, plan.top) };
}

/** Hands out range indexes 0 .. count-1 once each, across every thread sharing `counter` (Int32). */
export function rangeClaimer(counter: SharedArrayBuffer, count: number): () => number | undefined {
  const next = new Int32Array(counter);
  return () => {
    const index = Atomics.add(next, 0, 1);
    return index < count ? index : undefined;
  };
}

/** What the pre-check established about one range. */
export interface RangeReport {
  index: number;
  /** The thread that checked it (worker_threads.threadId; 0 is the main thread). */
  thread: number;
  lo: number;
  hi: number;
  /**
   * Entries lo+1 .. lo+clean exist, each matches its hash and each after the first links to the
   * one before it. The range is fully intact when `clean === hi - lo`.
   */
  clean: number;
  /** prev_hash of entry lo+1 (64 lower-case hex), or '' when clean is 0. */
  firstPrevHash: string;
  /** hash and prev_hash of entry lo+clean, or '' when clean is 0. */
  lastHash: string;
  lastPrevHash: string;
}

/** Mutable progress through one range while its pages arrive. */
export class RangeScan {
  readonly report: RangeReport;
  stopped = false;

  constructor(index: number, lo: number, hi: number) {
    this.report = { index, thread: threadId, lo, hi, clean: 0, firstPrevHash: '', lastHash: '', lastPrevHash: '' };
  }

  get done(): boolean {
    return this.stopped || this.report.clean === this.report.hi - this.report.lo;
  }

  /** Takes the blob of the page ending at key `pageHi`; stops the range at the first doubt. */
  take(pageHi: number, n: number, body: Buffer | null): void {
    const r = this.report;
    if (n === 0 || body === null || !isUtf8(body)) {
      this.stopped = true;
      return;
    }
    const end = body.length;
    let expected = r.lo + r.clean + 1;
    let lastHash = r.lastHash;
    let lastPrevHash = r.lastPrevHash;
    let clean = r.clean;
    let p = 0;
    for (let row = 0; row < n; row++) {
      // seq, as decimal digits up to the space; anything else (an empty line) stops here
      let seq = 0;
      let q = p;
      for (let c = body[q]; c !== undefined && c >= ZERO && c <= ZERO + 9 && q - p < 15; c = body[++q]) seq = seq * 10 + (c - ZERO);
      if (q === p || body[q] !== SPACE || seq !== expected) break;
      const h = q + 1;
      const ph = h + HASH_HEX;
      const json = ph + HASH_HEX;
      if (json >= end) break;
      let next = body.indexOf(NEWLINE, json);
      if (next < 0) next = end;
      // A view, not subarray(): this runs a million times and the view is cheaper to make.
      const digest = oneShotHash('sha256', new Uint8Array(body.buffer, body.byteOffset + ph, next - ph), 'hex');
      if (body.toString('latin1', h, ph) !== digest) break;
      const prevHash = body.toString('latin1', ph, json);
      if (clean === 0) {
        if (!isHashHex(prevHash)) break;
        r.firstPrevHash = prevHash;
      } else if (prevHash !== lastHash) {
        break;
      }
      lastPrevHash = prevHash;
      lastHash = digest;
      clean += 1;
      expected += 1;
      p = next + 1;
    }
    // Also stops when entries at the end of the page are missing.
    if (r.lo + clean < pageHi) this.stopped = true;
    r.clean = clean;
    r.lastHash = lastHash;
    r.lastPrevHash = lastPrevHash;
  }
}

interface PageTask {
  scan: RangeScan;
  lo: number;
  hi: number;
}

/** Fetches the blob page of keys (lo, hi]. */
export type PageFetch = (lo: number, hi: number) => Promise<Array<{ n: number; body: Buffer | null }>>;

/**
 * Checks ranges until `claim` has none left, passing each finished range to `report`. The next
 * page is fetched (on SQLite's thread) while this one is hashed, across range boundaries too.
 * `db` should be a connection of its own: the scan keeps it busy.
 */
export async function checkRanges(
  db: Pick<SqliteConnection, 'prepare'>,
  plan: RangePlan,
  claim: () => number | undefined,
  report: (r: RangeReport) => void,
): Promise<void> {
  const query = await db.prepare<{ n: number; body: Buffer | null }>(PAGE_SQL);
  try {
    await checkRangesWith((lo, hi) => query.all([lo, hi]), plan, claim, report);
  } finally {
    await query.finalize();
  }
}

/**
 * checkRanges over any page source: on a database server each lane's pages are built by a server
 * process of their own while this thread hashes the page before.
 */
export async function checkRangesWith(fetchPage: PageFetch, plan: RangePlan, claim: () => number | undefined, report: (r: RangeReport) => void): Promise<void> {
  let scan: RangeScan | undefined;
  let nextLo = 0;
  const nextTask = (): PageTask | undefined => {
    if (!scan || scan.stopped || nextLo >= scan.report.hi) {
      const index = claim();
      if (index === undefined) return undefined;
      const { lo, hi } = rangeBounds(plan, index);
      scan = new RangeScan(index, lo, hi);
      nextLo = lo;
    }
    const lo = nextLo;
    nextLo = Math.min(lo + PAGE_KEYS, scan.report.hi);
    return { scan, lo, hi: nextLo };
  };
  const fetch = (t: PageTask) => fetchPage(t.lo, t.hi);

  let task = nextTask();
  let pending = task && fetch(task);
  try {
    while (task && pending) {
      const [page] = await pending;
      const current = task;
      task = nextTask();
      pending = task && fetch(task);
      // A page prefetched before its range stopped is not needed.
      if (current.scan.stopped) continue;
      current.scan.take(current.hi, page?.n ?? 0, page?.body ?? null);
      if (current.scan.done) report(current.scan.report);
    }
  } finally {
    // A page prefetched when a failure stopped the scan: let it finish.
    await pending?.catch(() => undefined);
  }
}
