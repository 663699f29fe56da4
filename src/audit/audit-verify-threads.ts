import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openReadConnection } from '../store/database.ts';
import type { SqliteConnection } from '../store/sqlite-connection.ts';
import { checkRanges, rangeClaimer, rangeCount, type RangePlan, type RangeReport } from './audit-verify-ranges.ts';
import { RangeReportBoard } from './range-report-board.ts';

/** What a range-check worker is given (see audit-verify-worker.ts). */
export interface RangeJob {
  path: string;
  plan: RangePlan;
  lanes: number;
  /** Int32 [next range to claim], shared by every thread checking this plan. */
  counter: SharedArrayBuffer;
  /** Int32 [WorkerState] of this worker. */
  state: SharedArrayBuffer;
}

/**
 * A worker moves from BOOTING to ACTIVE before it opens a connection or claims a range; the
 * thread that started it may instead move it to CANCELLED, once there is nothing left to claim.
 * Whoever wins the compare-and-swap decides: a cancelled worker never touches SQLite, so it can
 * be terminated at once (a worker that hangs while loading can then not hold verification up),
 * and an active one is waited for, never terminated mid-query.
 */
export const WorkerState = { BOOTING: 0, ACTIVE: 1, CANCELLED: 2 } as const;

/** `failed`: the worker stopped early; the ranges it did not report are checked by its starter. */
export type WorkerMessage = { report: RangeReport } | { done: true } | { failed: string };

export interface RangeThreads {
  /** Worker threads to start. */
  workers: number;
  /**
   * Connections each thread checks through at once. SQLite builds a page on a libuv pool thread
   * while the JS thread hashes another, and building costs more than hashing, so two keep a
   * thread's hashing fed.
   */
  lanes: number;
  /** Whether this thread checks ranges too (it always takes over those a failed worker left). */
  here: boolean;
}

/** The range reports of one verification, filled in by this thread and any workers. */
export interface RangeChecks {
  /** The report for range `index` once a thread has checked it; rejects if checking failed. */
  get(index: number): Promise<RangeReport>;
  /** Stops handing out ranges, lets every thread finish its page, closes workers and connections. */
  close(): Promise<void>;
}

/**
 * Workers run plain JavaScript until tsx's loader is registered in them (a worker does not
 * inherit the hooks of the thread that starts it, and `--import tsx` in execArgv would resolve
 * against the working directory), so a few lines register it by absolute URL and then import the
 * TypeScript entry. The same under `node --import tsx`, bin/elevate.js and vitest.
 */
export const BOOTSTRAP = `const { workerData } = require('node:worker_threads');
import(workerData.tsxApi).then((tsx) => { tsx.register(); return import(workerData.entry); });`;

export function tsxApiUrl(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
  const entry = pkg.exports?.['./esm/api']?.import?.default;
  if (!entry) throw new Error('tsx does not export ./esm/api');
  return pathToFileURL(join(dirname(manifest), entry)).href;
}

/** `lanes` read-only connections to `path`; none left open if one fails. */
export async function openConnections(path: string, lanes: number): Promise<SqliteConnection[]> {
  const opened = await Promise.allSettled(Array.from({ length: Math.max(1, lanes) }, () => openReadConnection(path)));
  const ok = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((c) => c.close().catch(() => undefined)));
    throw failed.reason;
  }
  return ok;
}

interface Started {
  worker: Worker;
  state: Int32Array;
  /** Settles when the worker has posted `done`, failed, or exited. */
  finished: Promise<void>;
}

function startWorker(job: Omit<RangeJob, 'state'>, tsxApi: string, put: (r: RangeReport) => void): Started {
  const stateBuffer = new SharedArrayBuffer(4);
  const entry = new URL('./audit-verify-worker.ts', import.meta.url).href;
  const worker = new Worker(BOOTSTRAP, { eval: true, execArgv: [], workerData: { ...job, state: stateBuffer, tsxApi, entry } });
  worker.unref();
  const finished = new Promise<void>((resolve) => {
    // A failed worker is not fatal: what it claimed and did not report is checked here.
    worker.on('message', (m: WorkerMessage) => {
      if ('report' in m) put(m.report);
      else resolve();
    });
    worker.on('error', () => resolve());
    worker.on('exit', () => resolve());
  });
  return { worker, state: new Int32Array(stateBuffer), finished };
}

/**
 * Starts checking every range of `plan` on this thread and on worker threads, each with its own
 * read-only connections to `path`. Threads claim ranges from a shared counter, so a busy or
 * slow-starting thread simply takes fewer. A worker that fails (cannot start, loses its
 * connection) leaves its unreported ranges to this thread, so a worker problem costs only time;
 * an error on this thread (which would be the same error) rejects `get`.
 */
export async function startRangeChecks(path: string, plan: RangePlan, { workers, lanes, here }: RangeThreads): Promise<RangeChecks> {
  const own = await openConnections(path, lanes);
  const count = rangeCount(plan);
  const counter = new SharedArrayBuffer(4);
  const claim = rangeClaimer(counter, count);

  const board = new RangeReportBoard();
  const { put, fail } = board;
  let stopping = false;

  const started: Started[] = [];
  try {
    const tsxApi = workers > 0 ? tsxApiUrl() : '';
    for (let i = 0; i < workers; i++) started.push(startWorker({ path, plan, lanes, counter }, tsxApi, put));
  } catch {
    // No (more) workers, e.g. tsx's loader cannot be found: this thread does the rest.
  }

  const stop = () => Atomics.store(new Int32Array(counter), 0, count);
  // Every lane runs to the end of its page before this settles, so no statement is left open.
  const lanesCheck = async (claimFrom: () => number | undefined) => {
    const outcomes = await Promise.allSettled(own.map((c) => checkRanges(c, plan, claimFrom, put)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
  };

  const settled = (async () => {
    try {
      if (here || started.length === 0) await lanesCheck(claim);
    } catch (err) {
      fail(err);
      stop();
    }
    if (here || started.length === 0) {
      // Nothing is left to claim: a worker still loading is not needed any more.
      const active = started.filter((s) => Atomics.compareExchange(s.state, 0, WorkerState.BOOTING, WorkerState.CANCELLED) !== WorkerState.BOOTING);
      await Promise.all(active.map((s) => s.finished));
    } else {
      await Promise.all(started.map((s) => s.finished));
    }
    if (stopping || board.failed) return;
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !board.has(i));
    await lanesCheck(() => missing.shift());
    // Every range is reported by now; this only guards against waiting forever on a bug.
    fail(new Error('audit verification left a range unchecked'));
  })().catch(fail);

  return {
    get: (index) => board.get(index),
    async close() {
      stopping = true;
      stop();
      await settled;
      // Each worker has posted `done`, failed, or was cancelled before touching SQLite.
      await Promise.all(started.map((s) => s.worker.terminate()));
      await Promise.all(own.map((c) => c.close()));
    },
  };
}
