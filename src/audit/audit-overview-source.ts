/**
 * The overview's one query: the entries the overview counts, grouped by day and kind, since a
 * given day. Grouping happens in SQLite, so what reaches buildOverview is a few hundred rows,
 * not every entry of the month. Cached briefly: the overview is a glance, not a live feed.
 */
import type { Queryable } from '../store/database.ts';
import { ACTOR_RELATION_SQL, type ActorRelation } from './acting-identity.ts';
import { buildOverview, type Overview, type OverviewRow } from './audit-overview.ts';

interface GroupRow {
  day: string;
  event_type: string;
  outcome: string | null;
  acting_identity: string | null;
  actor_relation: ActorRelation;
  agent_id: string | null;
  action: string | null;
  n: number;
}

/** Forbidden submissions collapsed by the refusal recorder count with their repeats. */
const OVERVIEW_SQL = `SELECT substr(ts, 1, 10) AS day,
    CASE WHEN event_type = 'refusal.repeated' THEN json_extract(details, '$.repeatedEventType') ELSE event_type END AS event_type,
    outcome, acting_identity, ${ACTOR_RELATION_SQL} AS actor_relation, agent_id, action,
    sum(CASE WHEN event_type = 'refusal.repeated' THEN json_extract(details, '$.count') ELSE 1 END) AS n
  FROM audit_log
  WHERE ts >= ? AND ts < ?
    AND (event_type = 'operation.forbidden'
      OR (event_type = 'operation.transition' AND outcome IN ('executing', 'denied', 'expired'))
      OR (event_type = 'operation.requested' AND outcome = 'pending_elevation')
      OR (event_type = 'refusal.repeated' AND json_extract(details, '$.repeatedEventType') = 'operation.forbidden'))
  GROUP BY 1, 2, outcome, acting_identity, 5, agent_id, action`;

export async function loadOverviewRows(db: Pick<Queryable, 'all'>, fromDay: string, toDayExclusive: string): Promise<OverviewRow[]> {
  const rows = await db.all<GroupRow>(OVERVIEW_SQL, [`${fromDay}T00:00:00.000Z`, `${toDayExclusive}T00:00:00.000Z`]);
  return rows.map((r) => ({ day: r.day, eventType: r.event_type, outcome: r.outcome, actingIdentity: r.acting_identity, actor: r.actor_relation, agentId: r.agent_id, action: r.action, count: r.n }));
}

export interface OverviewSource {
  /** The last `days` UTC days up to and including today. */
  overview(days?: number): Promise<Overview>;
}

export function createOverviewSource(db: Pick<Queryable, 'all'>, options: { clock?: () => Date; cacheMs?: number } = {}): OverviewSource {
  const clock = options.clock ?? (() => new Date());
  const cacheMs = options.cacheMs ?? 30_000;
  let cached: { key: string; at: number; value: Promise<Overview> } | undefined;
  return {
    overview(days = 30) {
      const now = clock();
      const lastDay = now.toISOString().slice(0, 10);
      const key = `${lastDay}|${days}`;
      if (cached && cached.key === key && now.getTime() - cached.at < cacheMs) return cached.value;
      const firstDay = new Date(Date.parse(`${lastDay}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
      const nextDay = new Date(Date.parse(`${lastDay}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      const value = loadOverviewRows(db, firstDay, nextDay).then((rows) => buildOverview(rows, { lastDay, days }));
      cached = { key, at: now.getTime(), value };
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
      return value;
    },
  };
}
