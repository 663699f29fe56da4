/**
 * The approvers' history: every request (not only the pending ones), or the ones the viewer
 * decided ("my decisions": approved, or denied), filtered by state, agent and what the request was
 * raised for, newest first, keyset paged on (created_at, id). Read-only SQL over the request
 * table; a decision is an approval counted in approval_reviews or a denial the audit log records
 * with its approver. Every term is a bound parameter; column names are fixed here.
 */
import { decodeCursor, encodeCursor } from '../operations/request-listing.ts';
import { REQUEST_STATES, type OperationRequest, type RequestState } from '../operations/operation-types.ts';
import type { OperationRequestStore } from '../operations/operation-request-store.ts';
import type { Queryable, SqlValue } from '../store/database.ts';
import { requestsById } from '../operations/requests-by-id.ts';

export const HISTORY_VIEWS = ['all', 'mine'] as const;
export type HistoryView = (typeof HISTORY_VIEWS)[number];

/** What a request was raised for: its decision's outcome. */
export const HISTORY_KINDS = { consent: 'pending_consent', elevation: 'pending_elevation', direct: 'execute' } as const;
export type HistoryKind = keyof typeof HISTORY_KINDS;

export interface HistoryQuery {
  view: HistoryView;
  state?: RequestState;
  agentId?: string;
  kind?: HistoryKind;
  limit: number;
  after?: { createdAt: string; id: string };
}

export interface HistoryPage {
  requests: OperationRequest[];
  /** The cursor of the next (older) page; null on the last. */
  nextCursor: string | null;
}

export const HISTORY_PARAMS = ['view', 'state', 'agent', 'kind', 'cursor', 'limit'] as const;
export const DEFAULT_HISTORY_PAGE = 50;
export const MAX_HISTORY_PAGE = 200;

export class HistoryQueryError extends Error {
  override name = 'HistoryQueryError';
}

const one = (name: string, v: unknown): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new HistoryQueryError(`${name} may be given once, as text`);
  const t = v.trim();
  return t === '' ? undefined : t;
};

/** From untrusted query parameters; unknown names and values are refused (never a silently wider list). */
export function parseHistoryQuery(params: Record<string, unknown>): HistoryQuery {
  for (const name of Object.keys(params)) {
    if (!(HISTORY_PARAMS as readonly string[]).includes(name)) throw new HistoryQueryError(`unknown parameter ${JSON.stringify(name.slice(0, 40))}; known: ${HISTORY_PARAMS.join(', ')}`);
  }
  const view = one('view', params.view) ?? 'all';
  if (!(HISTORY_VIEWS as readonly string[]).includes(view)) throw new HistoryQueryError(`view must be one of ${HISTORY_VIEWS.join(', ')}`);
  const query: HistoryQuery = { view: view as HistoryView, limit: DEFAULT_HISTORY_PAGE };
  const state = one('state', params.state);
  if (state !== undefined) {
    if (!(REQUEST_STATES as readonly string[]).includes(state)) throw new HistoryQueryError(`state must be one of ${REQUEST_STATES.join(', ')}`);
    query.state = state as RequestState;
  }
  const agent = one('agent', params.agent);
  if (agent !== undefined) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(agent)) throw new HistoryQueryError('agent must be an agent id');
    query.agentId = agent;
  }
  const kind = one('kind', params.kind);
  if (kind !== undefined) {
    if (!Object.hasOwn(HISTORY_KINDS, kind)) throw new HistoryQueryError(`kind must be one of ${Object.keys(HISTORY_KINDS).join(', ')}`);
    query.kind = kind as HistoryKind;
  }
  const limit = one('limit', params.limit);
  if (limit !== undefined) {
    const n = /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (!(n >= 1 && n <= MAX_HISTORY_PAGE)) throw new HistoryQueryError(`limit must be a whole number from 1 to ${MAX_HISTORY_PAGE}`);
    query.limit = n;
  }
  const cursor = one('cursor', params.cursor);
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    if (!after) throw new HistoryQueryError('cursor must be one returned by a previous page');
    query.after = after;
  }
  return query;
}

/** The filters as query parameters (for the next-page link and the tabs); the cursor is added by the caller. */
export function historyParams(q: Omit<HistoryQuery, 'limit' | 'after'> & { limit?: number }): URLSearchParams {
  const p = new URLSearchParams({ view: q.view });
  if (q.state) p.set('state', q.state);
  if (q.agentId) p.set('agent', q.agentId);
  if (q.kind) p.set('kind', q.kind);
  if (q.limit !== undefined && q.limit !== DEFAULT_HISTORY_PAGE) p.set('limit', String(q.limit));
  return p;
}

export function createRequestHistory(db: Pick<Queryable, 'all'>, store: Pick<OperationRequestStore, 'get'>) {
  return {
    /** One page for `viewerOid` (whose decisions "mine" lists). */
    async page(q: HistoryQuery, viewerOid: string): Promise<HistoryPage> {
      const terms: string[] = [];
      const params: SqlValue[] = [];
      if (q.view === 'mine') {
        // approval_reviews keeps object ids in lower case; the audit log as the token gave them.
        terms.push(
          "(id IN (SELECT request_id FROM approval_reviews WHERE approver_oid = ?) OR id IN (SELECT request_id FROM audit_log WHERE approver_id = ? AND event_type = 'operation.transition' AND outcome = 'denied' AND request_id IS NOT NULL))",
        );
        params.push(viewerOid.toLowerCase(), viewerOid);
      }
      if (q.state) {
        terms.push('state = ?');
        params.push(q.state);
      }
      if (q.agentId) {
        terms.push('agent_id = ?');
        params.push(q.agentId);
      }
      if (q.kind) {
        terms.push('outcome = ?');
        params.push(HISTORY_KINDS[q.kind]);
      }
      if (q.after) {
        terms.push('(created_at < ? OR (created_at = ? AND id < ?))');
        params.push(q.after.createdAt, q.after.createdAt, q.after.id);
      }
      const where = terms.length ? `WHERE ${terms.join(' AND ')}` : '';
      const rows = await db.all<{ id: string }>(`SELECT id FROM operation_requests ${where} ORDER BY created_at DESC, id DESC LIMIT ?`, [...params, q.limit + 1]);
      const requests = await requestsById(store, rows.slice(0, q.limit).map((r) => r.id));
      const last = requests.at(-1);
      return { requests, nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
    },
  };
}

export type RequestHistory = ReturnType<typeof createRequestHistory>;
