/**
 * Range pre-checks on a database server (PostgreSQL): `lanes` ranges at a time on this thread,
 * each page built by a server process of its own (the pool) while this thread hashes the page
 * before. The same RangeChecks contract as the worker-thread version for a SQLite file, so
 * verifyChain joins the reports the same way and the walk judges whatever is not plainly intact.
 */
import type { Queryable } from '../store/database.ts';
import { checkRangesWith, rangeCount, type RangePlan } from './audit-verify-ranges.ts';
import { RangeReportBoard } from './range-report-board.ts';
import type { RangeChecks } from './audit-verify-threads.ts';

export function startPooledRangeChecks(db: Pick<Queryable, 'all'>, pageSql: string, plan: RangePlan, lanes: number): RangeChecks {
  const count = rangeCount(plan);
  let next = 0;
  const claim = () => (next < count ? next++ : undefined);
  const board = new RangeReportBoard();
  // The server sends the page as text (see SqlDialect.linesBlob); the scan reads bytes.
  const fetch = async (lo: number, hi: number) =>
    (await db.all<{ n: number; body: Buffer | string | null }>(pageSql, [lo, hi])).map((p) => ({ n: p.n, body: typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body }));
  const settled = Promise.allSettled(Array.from({ length: Math.max(1, lanes) }, () => checkRangesWith(fetch, plan, claim, board.put))).then((outcomes) => {
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    // Every range is reported by now unless a lane failed; this only guards against waiting forever.
    board.fail(failed ? failed.reason : new Error('audit verification left a range unchecked'));
  });
  return {
    get: (index) => board.get(index),
    async close() {
      next = count;
      await settled;
    },
  };
}
