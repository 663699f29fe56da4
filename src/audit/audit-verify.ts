import { availableParallelism } from 'node:os';
import type { Queryable, SqlDialect } from '../store/database.ts';
import { chainStart } from './audit-anchor.ts';
import { startPooledRangeChecks } from './audit-verify-pooled.ts';
import { rangeCount, rangePageSql, type RangePlan } from './audit-verify-ranges.ts';
import { startRangeChecks, type RangeChecks } from './audit-verify-threads.ts';
import { WALK_PAGE, walkChain, type WalkState } from './audit-verify-walk.ts';
import type { ChainBreak, VerifyOptions, VerifyResult } from './audit-types.ts';

/**
 * What verification reads through: a query interface, and the file behind it when there is one.
 * A `Database` says so through its dialect (`path` on PostgreSQL is a URL, not a file); a bare
 * source is taken to be SQLite, its `path` the file.
 */
export type ChainSource = Pick<Queryable, 'get' | 'all'> & { readonly path?: string; readonly dialect?: SqlDialect };

/**
 * How a file database is split; the defaults suit every caller, benchmarks and tests vary them.
 *
 * Measured on 2 cores (bench/audit-verify.bench.ts): SQLite building the pages costs more than
 * hashing them, and with two connections on this thread both cores are already busy (two libuv
 * pool threads build pages while this thread hashes); a worker thread then adds its start-up
 * (~0.4 s CPU) and no speed. With more cores this thread's hashing becomes the limit, so one
 * worker is started; libuv's pool (4 threads by default) has no room for more lanes than that.
 */
export interface VerifyThreads {
  /** Seq keys per range, the unit threads claim (default 50,000). */
  rangeKeys?: number;
  /** Worker threads (default: 1 on 3 or more CPUs, else 0; none below `minWorkerKeys`). */
  workers?: number;
  /** Entries below which no worker is started, as it would cost more than it saves (300,000). */
  minWorkerKeys?: number;
  /** Connections each thread checks through at once (default 2). */
  lanes?: number;
  /** Whether this thread checks ranges too, besides joining them (default true). */
  here?: boolean;
}

const RANGE_KEYS = 50_000;
const MIN_WORKER_KEYS = 300_000;
const LANES = 2;
/** Page queries in flight on a database server: one being hashed here, the next ones being built there. */
const POOLED_LANES = 3;

function defaultWorkers(): number {
  return availableParallelism() >= 3 ? 1 : 0;
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
 * is exactly the walk's. On a database server (PostgreSQL) the ranges are pre-checked on this
 * thread over the pool instead (audit-verify-pooled.ts). Given only `get`/`all` (no file to open
 * again, no server), the walk does it all.
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
  // A database server runs page queries in parallel over its pool: ranges on this thread.
  const pooledPages = path === undefined && db.dialect?.parallelReads ? rangePageSql(db.dialect) : undefined;
  const startChecks =
    path !== undefined
      ? (plan: RangePlan, workers: number) => startRangeChecks(path, plan, { workers, lanes: threads.lanes ?? LANES, here: threads.here ?? true })
      : pooledPages !== undefined
        ? async (plan: RangePlan) => startPooledRangeChecks(db, pooledPages, plan, threads.lanes ?? POOLED_LANES)
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
  startChecks: (plan: RangePlan, workers: number) => Promise<RangeChecks>,
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
    const workers = plan.top - plan.start >= (threads.minWorkerKeys ?? MIN_WORKER_KEYS) ? (threads.workers ?? defaultWorkers()) : 0;
    let checks: RangeChecks | undefined;
    try {
      checks = await startChecks(plan, workers);
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
