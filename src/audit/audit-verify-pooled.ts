/**
 * Range pre-checks on a database server (PostgreSQL): `lanes` ranges at a time on this thread,
 * each page built by a server process of its own (the pool) while this thread hashes the page
 * before. The same RangeChecks contract as the worker-thread version for a SQLite file, so
 * verifyChain joins the reports the same way and the walk judges whatever is not plainly intact.
 */
import type { Queryable } from '../store/database.ts';
import { checkRangesWith, rangeCount, type RangePlan, type RangeReport } from './audit-verify-ranges.ts';
import type { RangeChecks } from './audit-verify-threads.ts';

export function startPooledRangeChecks(db: Pick<Queryable, 'all'>, pageSql: string, plan: RangePlan, lanes: number): RangeChecks {
  const count = rangeCount(plan);
  let next = 0;
  const claim = () => (next < count ? next++ : undefined);
  const reports = new Map<number, RangeReport>();
  const waiting = new Map<number, { resolve: (r: RangeReport) => void; reject: (e: unknown) => void }>();
  let failure: { error: unknown } | undefined;
  const put = (r: RangeReport) => {
    reports.set(r.index, r);
    waiting.get(r.index)?.resolve(r);
    waiting.delete(r.index);
  };
  // The server sends the page as text (see SqlDialect.linesBlob); the scan reads bytes.
  const fetch = async (lo: number, hi: number) =>
    (await db.all<{ n: number; body: Buffer | string | null }>(pageSql, [lo, hi])).map((p) => ({ n: p.n, body: typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body }));
  const settled = Promise.allSettled(Array.from({ length: Math.max(1, lanes) }, () => checkRangesWith(fetch, plan, claim, put))).then((outcomes) => {
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    failure = { error: failed ? failed.reason : new Error('audit verification left a range unchecked') };
    for (const w of waiting.values()) w.reject(failure.error);
    waiting.clear();
  });
  return {
    get(index) {
      const r = reports.get(index);
      if (r) return Promise.resolve(r);
      if (failure) return Promise.reject(failure.error);
      return new Promise((resolve, reject) => waiting.set(index, { resolve, reject }));
    },
    async close() {
      next = count;
      await settled;
    },
  };
}
