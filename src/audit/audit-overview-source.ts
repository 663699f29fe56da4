/**
 * The overview's queries: the entries the overview counts, grouped by day and kind, since a
 * given day. Grouping happens in the database, so what reaches buildOverview is a few hundred
 * rows, not every entry of the month. Cached briefly: the overview is a glance, not a live feed.
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

const COUNTED_SQL = `SELECT substr(ts, 1, 10) AS day, event_type,
    outcome, acting_identity, ${ACTOR_RELATION_SQL} AS actor_relation, agent_id, action, count(*) AS n
  FROM audit_log
  WHERE ts >= ? AND ts < ?
    AND (event_type = 'operation.forbidden'
      OR (event_type = 'operation.transition' AND outcome IN ('executing', 'denied', 'expired'))
      OR (event_type = 'operation.requested' AND outcome = 'pending_elevation'))
  GROUP BY 1, 2, outcome, acting_identity, 5, agent_id, action`;

/**
 * Forbidden submissions collapsed by the refusal recorder count with their repeats. Their kind and
 * count live in the details JSON, which SQLite (json_extract) and PostgreSQL (->>) read with
 * different syntax, so the rows come back whole and are read here; there is at most one per
 * collapsed burst, few next to the entries they stand for.
 */
const REPEATED_SQL = `SELECT substr(ts, 1, 10) AS day, details,
    outcome, acting_identity, ${ACTOR_RELATION_SQL} AS actor_relation, agent_id, action
  FROM audit_log
  WHERE ts >= ? AND ts < ? AND event_type = 'refusal.repeated'`;

type RepeatedRow = Omit<GroupRow, 'event_type' | 'n'> & { details: string | null };

export async function loadOverviewRows(db: Pick<Queryable, 'all'>, fromDay: string, toDayExclusive: string): Promise<OverviewRow[]> {
  const range = [`${fromDay}T00:00:00.000Z`, `${toDayExclusive}T00:00:00.000Z`];
  const [counted, repeated] = await Promise.all([db.all<GroupRow>(COUNTED_SQL, range), db.all<RepeatedRow>(REPEATED_SQL, range)]);
  const groups = new Map<string, OverviewRow>();
  const add = (r: Omit<GroupRow, 'n'>, count: number) => {
    const row: OverviewRow = { day: r.day, eventType: r.event_type, outcome: r.outcome, actingIdentity: r.acting_identity, actor: r.actor_relation, agentId: r.agent_id, action: r.action, count };
    const key = JSON.stringify([row.day, row.eventType, row.outcome, row.actingIdentity, row.actor, row.agentId, row.action]);
    const known = groups.get(key);
    if (known) known.count += count;
    else groups.set(key, row);
  };
  for (const r of counted) add(r, r.n);
  for (const r of repeated) {
    const burst = repeatedForbidden(r.details);
    if (burst !== undefined) add({ ...r, event_type: 'operation.forbidden' }, burst);
  }
  return [...groups.values()];
}

/** The repeat count of a collapsed burst of forbidden submissions; undefined for other kinds. */
function repeatedForbidden(details: string | null): number | undefined {
  try {
    const d = JSON.parse(details ?? 'null') as { repeatedEventType?: unknown; count?: unknown } | null;
    return d?.repeatedEventType === 'operation.forbidden' && typeof d.count === 'number' && Number.isSafeInteger(d.count) ? d.count : undefined;
  } catch {
    return undefined;
  }
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
