/**
 * Worker-thread entry of chain verification on a database server (started by
 * audit-verify-pooled.ts): takes the COPY text of pages, in order within each range, turns each
 * into the pre-check's lines (audit-copy-lines.ts) and scans it (audit-verify-ranges.ts), and
 * posts every range's report once the range is done. It touches no database: the thread that
 * started it fetches the pages, so turning and hashing them, the larger share of the work, runs
 * beside the fetching instead of after it. Every page is acknowledged, which is what keeps the
 * number of pages waiting here bounded.
 */
import { parentPort } from 'node:worker_threads';
import { copyRowsToPageLines } from './audit-copy-lines.ts';
import { RangeScan } from './audit-verify-ranges.ts';
import type { CopyPage, CopyPageReply } from './audit-verify-pooled.ts';

const port = parentPort;
if (!port) throw new Error('audit-copy-page-worker.ts runs only as a worker thread');

const scans = new Map<number, RangeScan>();
/** Ranges already reported: pages of theirs still arriving (fetched before the range stopped) are not needed. */
const reported = new Set<number>();

port.on('message', (page: CopyPage) => {
  let reply: CopyPageReply = { ack: true };
  try {
    if (!reported.has(page.index)) {
      const scan = scans.get(page.index) ?? new RangeScan(page.index, page.lo, page.hi);
      scans.set(page.index, scan);
      const lines = copyRowsToPageLines(Buffer.from(page.copy.buffer, page.copy.byteOffset, page.copy.byteLength));
      scan.take(page.pageHi, lines.n, lines.body);
      if (scan.done) {
        scans.delete(page.index);
        reported.add(page.index);
        reply = { ack: true, report: scan.report };
      }
    }
  } catch (err) {
    reply = { ack: true, failed: String((err as Error)?.message ?? err) };
  }
  port.postMessage(reply);
});

port.postMessage({ ready: true } satisfies CopyPageReply);
