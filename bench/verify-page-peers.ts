/**
 * The peers of verification on PostgreSQL in bench/postgres.bench.ts: the range pre-check with
 * pages made from COPY text (what verifyChain does) next to the previous design, pages whose
 * canonical JSON the server builds (to_json() per column, string_agg per page), both over the
 * same lanes and both hashing on this thread, so their ratio is the page source's alone.
 */
import { startPooledRangeChecks } from '../src/audit/audit-verify-pooled.ts';
import { checkRangesWith, rangeCount, type PageFetch, type RangePlan } from '../src/audit/audit-verify-ranges.ts';
import { CONTENT_PAIRS } from '../src/audit/audit-verify-walk.ts';
import type { Database } from '../src/store/database.ts';
import { POSTGRES_DIALECT } from '../src/store/sql-dialect.ts';

/** The previous page source: one row per page, its lines built by the server. */
function serverJsonPages(db: Database): PageFetch {
  const sql = `SELECT count(*) AS n, string_agg(line, E'\\n' ORDER BY ord) AS body FROM (
    SELECT CASE WHEN octet_length(hash) = 64 AND octet_length(prev_hash) = 64
      THEN seq || ' ' || hash || prev_hash || ${POSTGRES_DIALECT.canonicalJsonObject(CONTENT_PAIRS)!} ELSE '' END AS line, seq AS ord
    FROM audit_log WHERE seq > ? AND seq <= ?) AS lines`;
  return async (lo, hi) => (await db.all<{ n: unknown; body: string | null }>(sql, [lo, hi])).map((p) => ({ n: Number(p.n), body: p.body === null ? null : Buffer.from(p.body, 'utf8') }));
}

/** Entries the pre-check found intact, over every range of `plan`. */
export async function precheckCopy(db: Database, plan: RangePlan, lanes: number): Promise<number> {
  const checks = startPooledRangeChecks(db.copyText!.bind(db), plan, { lanes, workers: 0 });
  try {
    let clean = 0;
    for (let i = 0; i < rangeCount(plan); i++) clean += (await checks.get(i)).clean;
    return clean;
  } finally {
    await checks.close();
  }
}

export async function precheckServerJson(db: Database, plan: RangePlan, lanes: number): Promise<number> {
  const count = rangeCount(plan);
  let next = 0;
  let clean = 0;
  const fetch = serverJsonPages(db);
  await Promise.all(Array.from({ length: lanes }, () => checkRangesWith(fetch, plan, () => (next < count ? next++ : undefined), (r) => (clean += r.clean))));
  return clean;
}
