import { availableParallelism } from 'node:os';
import type { Database, Queryable, SqlDialect } from '../store/database.ts';
import { chainStart } from './audit-anchor.ts';
import { startPooledRangeChecks } from './audit-verify-pooled.ts';
import { rangeCount, type RangePlan } from './audit-verify-ranges.ts';
import { startRangeChecks, type RangeChecks } from './audit-verify-threads.ts';
import { WALK_PAGE, walkChain, type WalkState } from './audit-verify-walk.ts';
import type { ChainBreak, VerifyOptions, VerifyResult } from './audit-types.ts';

/**
 * What verification reads through: a query interface, and the file behind it when there is one.
 * A `Database` says so through its dialect (`path` on PostgreSQL is a URL, not a file); a bare
 * source is taken to be SQLite, its `path` the file.
 */
export type ChainSource = Pick<Queryable, 'get' | 'all'> & Pick<Database, 'copyText'> & { readonly path?: string; readonly dialect?: SqlDialect };

/**
 * How verification is split; the defaults suit every caller, benchmarks and tests vary them.
 *
 * On a SQLite file, measured on 2 cores (bench/audit-verify.bench.ts): SQLite building the pages
 * costs more than hashing them, and with two connections on this thread both cores are already
 * busy (two libuv pool threads build pages while this thread hashes); a worker thread then adds
 * its start-up (~0.4 s CPU) and no speed. With more cores this thread's hashing becomes the
 * limit, so one worker is started; libuv's pool (4 threads by default) has no room for more lanes
 * than that.
 *
 * On a database server the server only sends the rows (COPY) and turning them into canonical
 * text and hashing them is the larger share, all in Node: one worker does it while this thread
 * fetches (1M entries on 2 cores, bench/postgres.bench.ts: about 0.8x the time of doing it all
 * here), two where there are 4 cores or more.
 */
export interface VerifyThreads {
  /** Seq keys per range, the unit threads claim (default 50,000). */
  rangeKeys?: number;
  /** Worker threads (defaults above; none below `minWorkerKeys`). */
  workers?: number;
  /** Entries below which no worker is started, as it would cost more than it saves (300,000). */
  minWorkerKeys?: number;
  /** Connections each thread checks through at once (default 2 on a file, 3 on a server). */
  lanes?: number;
  /** On a file, whether this thread checks ranges too, besides joining them (default true). */
  here?: boolean;
}

const RANGE_KEYS = 50_000;
const MIN_WORKER_KEYS = 300_000;
const LANES = 2;
/** Page queries in flight on a database server: pages being sent while others are turned and hashed. */
const POOLED_LANES = 3;

function defaultWorkers(onServer: boolean): number {
  const cores = availableParallelism();
  if (onServer) return cores >= 4 ? 2 : 1;
  return cores >= 3 ? 1 : 0;
}

/**
 * Verifies the whole chain, recomputing every hash, and reports the first break by lowest seq
 * (see walkChain for the kinds of break). What a hash chain cannot show by itself: entries
 * removed from the end, or forged entries appended with correct hashes. `lastSeq`/`lastHash`
 * are returned so that an externally kept (signed) checkpoint can be compared against them.
 *
 * On a database file the work is split: ranges of seq keys are pre-checked in parallel over
 * read-only connections of their own, on this thread and possibly a worker (audit-verify-ranges.ts);
 * the results are joined here in seq order, and wherever a range is not plainly intact or does
 * not link to the one before, the authoritative walk takes over for that stretch, so the answer
 * is exactly the walk's. On a database server (PostgreSQL) the ranges' rows are fetched over the
 * pool as COPY text and turned and hashed on this thread or a worker (audit-verify-pooled.ts).
 * Given only `get`/`all` (no file to open again, no server), the walk does it all.
 */
export async function verifyChain(db: ChainSource, opts: VerifyOptions = {}, threads: VerifyThreads = {}): Promise<VerifyResult> {
  const start = await chainStart(db);
  const state: WalkState = { startSeq: start.seq, lastSeq: start.seq, running: start.hash, checked: 0, before: undefined, lastPrevHash: undefined };
  const result = (firstBreak?: ChainBreak): VerifyResult => {
    const base = { entriesChecked: state.checked, lastSeq: state.lastSeq, lastHash: state.running };
    return firstBreak ? { ok: false, ...base, firstBreak } : { ok: true, ...base };
  };

  const file = db.dialect ? db.dialect.file : db.path;
  const path = typeof file === 'string' && file !== '' && file !== ':memory:' ? file : undefined;
  // A database server sends pages in parallel over its pool, as COPY text: ranges on this thread.
  const copyText = path === undefined && db.copyText ? db.copyText.bind(db) : undefined;
  const startChecks =
    path !== undefined
      ? (plan: RangePlan, big: boolean) =>
          startRangeChecks(path, plan, { workers: big ? (threads.workers ?? defaultWorkers(false)) : 0, lanes: threads.lanes ?? LANES, here: threads.here ?? true })
      : copyText !== undefined
        ? async (plan: RangePlan, big: boolean) =>
            startPooledRangeChecks(copyText, plan, { lanes: threads.lanes ?? POOLED_LANES, workers: big ? (threads.workers ?? defaultWorkers(true)) : 0 })
        : undefined;
  if (startChecks === undefined) return result(await walkChain(db, state, undefined, () => opts.onProgress?.(state.checked)));

  // Progress in whole pages, as the walk alone reports it.
  let reported = 0;
  const progress = () => {
    for (; reported + WALK_PAGE <= state.checked; reported += WALK_PAGE) opts.onProgress?.(reported + WALK_PAGE);
  };
  const firstBreak = await joinRanges(db, startChecks, state, threads, progress);
  if (!firstBreak && state.checked > reported) opts.onProgress?.(state.checked);
  return result(firstBreak);
}

async function joinRanges(
  db: ChainSource,
  /** `big`: enough entries to be worth a worker thread's start-up. */
  startChecks: (plan: RangePlan, big: boolean) => Promise<RangeChecks>,
  state: WalkState,
  threads: VerifyThreads,
  progress: () => void,
): Promise<ChainBreak | undefined> {
  const top = (await db.get<{ top: unknown }>('SELECT max(seq) AS top FROM audit_log'))?.top;
  const plan: RangePlan = {
    start: state.lastSeq,
    top: typeof top === 'number' && Number.isSafeInteger(top) ? top : state.lastSeq,
    rangeKeys: threads.rangeKeys ?? RANGE_KEYS,
  };
  const count = rangeCount(plan);
  if (count > 0) {
    const big = plan.top - plan.start >= (threads.minWorkerKeys ?? MIN_WORKER_KEYS);
    let checks: RangeChecks | undefined;
    try {
      checks = await startChecks(plan, big);
    } catch {
      // The file could not be opened again (e.g. removed since): the walk needs no second connection.
    }
    if (checks) {
      try {
        for (let index = 0; index < count; index++) {
          const r = await checks.get(index);
          if (r.clean > 0 && state.lastSeq === r.lo && r.firstPrevHash === state.running) {
            const last = r.lo + r.clean;
            state.before = { seq: last - 1, hash: r.lastPrevHash };
            state.lastPrevHash = r.lastPrevHash;
            state.running = r.lastHash;
            state.lastSeq = last;
            state.checked += r.clean;
            progress();
          }
          // The rest of the range, if any, is the walk's to judge.
          if (state.lastSeq < r.hi) {
            const found = await walkChain(db, state, r.hi, progress);
            if (found) return found;
          }
        }
      } finally {
        await checks.close();
      }
    }
  }
  // Entries appended since verification began (and all of them if the ranges could not run).
  return walkChain(db, state, undefined, progress);
}
