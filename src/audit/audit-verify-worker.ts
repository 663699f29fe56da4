/**
 * Worker-thread entry of chain verification (started by audit-verify-threads.ts): claims ranges
 * from the shared counter, checks them over its own read-only connections, and posts each report.
 *
 * It never ends by throwing: a worker that dies while one of its statements is still running on
 * libuv's pool takes the whole process down (sqlite3 then throws into a torn-down environment).
 * So every lane is run to its end, every connection closed, and a failure is posted instead;
 * the ranges it leaves are checked by the thread that started it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SqliteConnection } from '../store/sqlite-connection.ts';
import { checkRanges, rangeClaimer, rangeCount } from './audit-verify-ranges.ts';
import { openConnections, WorkerState, type RangeJob, type WorkerMessage } from './audit-verify-threads.ts';

const job = workerData as RangeJob;
const port = parentPort;
if (!port) throw new Error('audit-verify-worker.ts runs only as a worker thread');
const post = (m: WorkerMessage) => port.postMessage(m);

async function run(): Promise<void> {
  const claim = rangeClaimer(job.counter, rangeCount(job.plan));
  const connections: SqliteConnection[] = await openConnections(job.path, job.lanes);
  const outcomes = await Promise.allSettled(connections.map((db) => checkRanges(db, job.plan, claim, (report) => post({ report }))));
  await Promise.allSettled(connections.map((db) => db.close()));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}

// Cancelled while loading: there is nothing left to claim, and SQLite must not be touched.
if (Atomics.compareExchange(new Int32Array(job.state), 0, WorkerState.BOOTING, WorkerState.ACTIVE) === WorkerState.BOOTING) {
  try {
    await run();
    post({ done: true });
  } catch (err) {
    post({ failed: String((err as Error)?.message ?? err) });
  }
}
