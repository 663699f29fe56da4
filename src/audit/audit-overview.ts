import { actingIdentityOf, type ActorRelation } from './acting-identity.ts';

/**
 * The auditor's overview, as pure functions: grouped rows in, per-day series and top actions
 * out. What counts as what:
 * - executed with managed identity / with OBO: a request entering `executing`, by whose
 *   permissions it ran, as acting-identity.ts reads it (old entries' UAMI principal ids included);
 * - denied, expired: a request transition to that state;
 * - forbidden: a submission a guardrail or the run mode refused outright;
 * - elevated actions: requests that needed an elevation (`pending_elevation`), by action.
 */

export const OUTCOME_CATEGORIES = ['executed-mi', 'executed-obo', 'denied', 'expired', 'forbidden'] as const;
export type OutcomeCategory = (typeof OUTCOME_CATEGORIES)[number];

export const CATEGORY_LABELS: Record<OutcomeCategory, string> = {
  'executed-mi': 'Executed with managed identity',
  'executed-obo': 'Executed with OBO',
  denied: 'Denied',
  expired: 'Expired',
  forbidden: 'Forbidden',
};

/** One group of the overview query: entries of one day and kind, counted. */
export interface OverviewRow {
  /** YYYY-MM-DD (UTC). */
  day: string;
  eventType: string;
  outcome: string | null;
  actingIdentity: string | null;
  /** Who the entries' actor was, relative to the acting identity (acting-identity.ts). */
  actor: ActorRelation;
  agentId: string | null;
  action: string | null;
  count: number;
}

export interface DaySeries {
  day: string;
  counts: Record<OutcomeCategory, number>;
  total: number;
}

export interface ActionCount {
  action: string;
  count: number;
}

export interface Overview {
  from: string;
  to: string;
  days: DaySeries[];
  totals: Record<OutcomeCategory, number>;
  topActions: ActionCount[];
}

export function categoryOf(row: Pick<OverviewRow, 'eventType' | 'outcome' | 'actingIdentity' | 'actor' | 'agentId'>): OutcomeCategory | undefined {
  if (row.eventType === 'operation.forbidden') return 'forbidden';
  if (row.eventType !== 'operation.transition') return undefined;
  switch (row.outcome) {
    case 'executing':
      return actingIdentityOf(row)?.kind === 'obo' ? 'executed-obo' : 'executed-mi';
    case 'denied':
      return 'denied';
    case 'expired':
      return 'expired';
    default:
      return undefined;
  }
}

export function isElevationRequest(row: Pick<OverviewRow, 'eventType' | 'outcome'>): boolean {
  return row.eventType === 'operation.requested' && row.outcome === 'pending_elevation';
}

const zeroCounts = (): Record<OutcomeCategory, number> => ({ 'executed-mi': 0, 'executed-obo': 0, denied: 0, expired: 0, forbidden: 0 });

/** The `count` UTC days ending with `lastDay` (inclusive), oldest first. */
export function dayRange(lastDay: string, count: number): string[] {
  const end = Date.parse(`${lastDay}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) => new Date(end - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** Rows in, series out: every day of the range present (zeros included), actions ranked. */
export function buildOverview(rows: readonly OverviewRow[], options: { lastDay: string; days: number; topActions?: number }): Overview {
  const days = dayRange(options.lastDay, options.days);
  const byDay = new Map(days.map((d) => [d, zeroCounts()]));
  const totals = zeroCounts();
  const actions = new Map<string, number>();
  for (const row of rows) {
    const counts = byDay.get(row.day);
    if (!counts) continue;
    const category = categoryOf(row);
    if (category) {
      counts[category] += row.count;
      totals[category] += row.count;
    }
    if (isElevationRequest(row) && row.action !== null) actions.set(row.action, (actions.get(row.action) ?? 0) + row.count);
  }
  const topActions = [...actions]
    .map(([action, count]) => ({ action, count }))
    .sort((a, b) => b.count - a.count || (a.action < b.action ? -1 : 1))
    .slice(0, options.topActions ?? 10);
  return {
    from: days[0]!,
    to: days[days.length - 1]!,
    days: days.map((day) => {
      const counts = byDay.get(day)!;
      return { day, counts, total: OUTCOME_CATEGORIES.reduce((n, c) => n + counts[c], 0) };
    }),
    totals,
    topActions,
  };
}
