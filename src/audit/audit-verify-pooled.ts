/**
 * Range pre-checks on a database server (PostgreSQL). `lanes` ranges are fetched at a time on this
 * thread, each page sent by a server process of its own (the pool) as COPY text, which is turned
 * into the pre-check's lines (audit-copy-lines.ts) and scanned either here or, for long chains,
 * on worker threads (audit-copy-page-worker.ts) while this thread fetches the next pages. The
 * same RangeChecks contract as the version for a SQLite file, so verifyChain joins the reports the
 * same way and the walk judges whatever is not plainly intact. A worker that fails costs only
 * time: the ranges it did not report are checked here at the end.
 */
import { Worker } from 'node:worker_threads';
import { copyPageSelect, copyRowsToPageLines } from './audit-copy-lines.ts';
import { checkRangesWith, PAGE_KEYS, rangeBounds, rangeCount, type PageFetch, type RangePlan, type RangeReport } from './audit-verify-ranges.ts';
import { BOOTSTRAP, tsxApiUrl, type RangeChecks } from './audit-verify-threads.ts';
import { RangeReportBoard } from './range-report-board.ts';

export type CopyText = (select: string) => Promise<Buffer>;

/** One page for a worker: the COPY text of keys (pageHi - PAGE_KEYS, pageHi] of range `index`, (lo, hi]. */
export interface CopyPage {
  index: number;
  lo: number;
  hi: number;
  pageHi: number;
  copy: Uint8Array;
}

/** A worker's answer: ready once loaded, then one ack per page, with the range's report when it is done. */
export type CopyPageReply = { ready: true } | { ack: true; report?: RangeReport; failed?: string };

/** Pages a worker may have waiting at once (a few MB each): enough to keep it busy, no more. */
const PAGES_QUEUED = 4;

/** Pages fetched as COPY text of the audit rows and turned into the scan's lines on this thread. */
export function copyPageFetch(copyText: CopyText): PageFetch {
  return async (lo, hi) => [copyRowsToPageLines(await copyText(copyPageSelect(lo, hi)))];
}

/** A worker thread turning and scanning pages, and how many of its pages are still queued. */
class PageHasher {
  private queued = 0;
  private readonly room: Array<() => void> = [];
  private dead = false;
  readonly worker: Worker;

  constructor(tsxApi: string, onReport: (r: RangeReport) => void) {
    const entry = new URL('./audit-copy-page-worker.ts', import.meta.url).href;
    this.worker = new Worker(BOOTSTRAP, { eval: true, execArgv: [], workerData: { tsxApi, entry } });
    this.worker.unref();
    this.worker.on('message', (m: CopyPageReply) => {
      if ('ready' in m) return;
      if (m.failed !== undefined) return this.die();
      if (m.report) onReport(m.report);
      this.queued -= 1;
      this.room.shift()?.();
    });
    this.worker.on('error', () => this.die());
    this.worker.on('exit', () => this.die());
  }

  private die(): void {
    this.dead = true;
    for (const wake of this.room.splice(0)) wake();
  }

  /** Queues a page once there is room; a page for a dead worker is dropped (its range is redone at the end). */
  async send(page: CopyPage): Promise<void> {
    while (!this.dead && this.queued >= PAGES_QUEUED) await new Promise<void>((wake) => this.room.push(wake));
    if (this.dead) return;
    this.queued += 1;
    // Moved, not copied, when the page owns its memory (Buffer.concat's result beyond a few KB does).
    const own = page.copy.byteOffset === 0 && page.copy.byteLength === page.copy.buffer.byteLength;
    this.worker.postMessage(page, own ? [page.copy.buffer as ArrayBuffer] : []);
  }

  /** Settles once every queued page is answered, or the worker is gone. */
  async drained(): Promise<void> {
    while (!this.dead && this.queued > 0) await new Promise<void>((wake) => this.room.push(wake));
    // Let the waiter behind us (if any) check again.
    this.room.shift()?.();
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export interface PooledThreads {
  /** Pages fetched at once, each on a pooled connection of its own. */
  lanes: number;
  /** Worker threads turning and scanning pages; 0: this thread does it. */
  workers: number;
}

export function startPooledRangeChecks(copyText: CopyText, plan: RangePlan, { lanes, workers }: PooledThreads): RangeChecks {
  const count = rangeCount(plan);
  let next = 0;
  const claim = () => (next < count ? next++ : undefined);
  const board = new RangeReportBoard();
  const hashers: PageHasher[] = [];
  try {
    const tsxApi = workers > 0 ? tsxApiUrl() : '';
    for (let i = 0; i < workers; i++) hashers.push(new PageHasher(tsxApi, board.put));
  } catch {
    // No (more) workers, e.g. tsx's loader cannot be found: this thread does the rest.
  }
  const fetchHere = copyPageFetch(copyText);

  // A lane feeding workers: fetches each page of its range and queues it on the range's worker.
  const feed = async () => {
    for (let index = claim(); index !== undefined; index = claim()) {
      const { lo, hi } = rangeBounds(plan, index);
      const hasher = hashers[index % hashers.length]!;
      for (let pageLo = lo; pageLo < hi && !board.has(index) && next <= count; ) {
        const pageHi = Math.min(pageLo + PAGE_KEYS, hi);
        await hasher.send({ index, lo, hi, pageHi, copy: await copyText(copyPageSelect(pageLo, pageHi)) });
        pageLo = pageHi;
      }
    }
  };
  const laneCount = Math.max(1, lanes);
  const settled = (async () => {
    const lanesRun = (lane: () => Promise<void>) => Promise.allSettled(Array.from({ length: laneCount }, lane));
    const outcomes = hashers.length > 0 ? await lanesRun(feed) : await lanesRun(() => checkRangesWith(fetchHere, plan, claim, board.put));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) return board.fail(failed.reason);
    await Promise.all(hashers.map((h) => h.drained()));
    // Ranges a failed worker left, or all of them if verification was stopped early (close()).
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !board.has(i));
    if (next <= count && missing.length > 0) await checkRangesWith(fetchHere, plan, () => missing.shift(), board.put);
    // Every range is reported by now unless stopped; this only guards against waiting forever.
    board.fail(new Error('audit verification left a range unchecked'));
  })().catch(board.fail);

  return {
    get: (index) => board.get(index),
    async close() {
      // Past `count`: nothing more is claimed, fed or redone.
      next = count + 1;
      await settled;
      await Promise.all(hashers.map((h) => h.terminate()));
    },
  };
}
