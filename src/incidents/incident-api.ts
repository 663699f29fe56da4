/**
 * The agent-side use cases of /api/v1/incidents: the agent's incidents in pick-up order (oldest
 * first after a cursor, so an agent that keeps its cursor sees each new incident once), with a
 * long-poll for new ones, and one incident by id. An agent sees only incidents routed to it or
 * lying in its managed groups; anyone else's are indistinguishable from missing ones.
 */
import type { Agent } from '../operations/operation-types.ts';
import { decodeCursor, encodeCursor } from '../operations/request-listing.ts';
import type { RequestNotifier } from '../operations/request-notifier.ts';
import { INCIDENT_STATES, type IncidentState } from './incident-state.ts';
import { incidentInAgentGroups } from './incident-routing.ts';
import type { IncidentStore } from './incident-store.ts';
import type { Incident } from './incident-types.ts';

export const MAX_INCIDENT_WAIT_SECONDS = 60;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

export interface IncidentPage {
  items: Incident[];
  /** pass back as `cursor` to get what came after (and long-poll with `wait`) */
  nextCursor: string | null;
}

export type IncidentApiResult<T> = { ok: true; status: 200; value: T } | { ok: false; status: 400 | 404 | 429; error: { code: string; message: string; fields?: Array<{ path: string; message: string }> } };

/** Long-poll waiters are keyed per agent: one new incident wakes that agent's readers only. */
export const agentWaitKey = (agentId: string) => `incidents:${agentId}`;

export function createIncidentApi(deps: { store: IncidentStore; notifier: RequestNotifier }) {
  const bad = (path: string, message: string): IncidentApiResult<never> => ({ ok: false, status: 400, error: { code: 'invalid_request', message: `invalid request: ${path}: ${message}`, fields: [{ path, message }] } });
  const visible = (agent: Agent, i: Incident) => i.agentId === agent.id || incidentInAgentGroups(i.resourceGroupIds, agent.resourceGroupIds);

  async function page(agent: Agent, after: { createdAt: string; id: string } | undefined, state: IncidentState | undefined, limit: number): Promise<IncidentPage> {
    const rows = await deps.store.list({ agentId: agent.id, state, limit: limit + 1, after, order: 'asc' });
    const items = rows.slice(0, limit).filter((i) => visible(agent, i));
    const last = rows.slice(0, limit).at(-1);
    return { items, nextCursor: last ? encodeCursor(last) : after ? encodeCursor(after) : null };
  }

  async function list(agent: Agent, q: { cursor?: unknown; state?: unknown; limit?: unknown; wait?: unknown }, signal?: AbortSignal): Promise<IncidentApiResult<IncidentPage>> {
    let limit = DEFAULT_LIMIT;
    if (q.limit !== undefined) {
      limit = typeof q.limit === 'string' && /^\d{1,4}$/.test(q.limit) ? Number(q.limit) : NaN;
      if (!(limit >= 1 && limit <= MAX_LIMIT)) return bad('limit', `expected a whole number from 1 to ${MAX_LIMIT}`);
    }
    const after = q.cursor === undefined ? undefined : typeof q.cursor === 'string' ? decodeCursor(q.cursor) : undefined;
    if (q.cursor !== undefined && !after) return bad('cursor', 'expected a cursor returned by a previous page');
    let state: IncidentState | undefined;
    if (q.state !== undefined) {
      if (typeof q.state !== 'string' || !(INCIDENT_STATES as readonly string[]).includes(q.state)) return bad('state', `expected one of ${INCIDENT_STATES.join(', ')}`);
      state = q.state as IncidentState;
    }
    let wait = 0;
    if (q.wait !== undefined) {
      wait = typeof q.wait === 'string' && /^\d{1,3}$/.test(q.wait) ? Number(q.wait) : NaN;
      if (!(wait >= 0 && wait <= MAX_INCIDENT_WAIT_SECONDS)) return bad('wait', `expected whole seconds from 0 to ${MAX_INCIDENT_WAIT_SECONDS}`);
    }
    const first = await page(agent, after, state, limit);
    if (first.items.length > 0 || wait === 0) return { ok: true, status: 200, value: first };
    const waiting = deps.notifier.wait(agentWaitKey(agent.id), wait * 1000, signal);
    if (!waiting) return { ok: false, status: 429, error: { code: 'too_many_waiters', message: 'too many readers are waiting; poll again shortly' } };
    // An incident recorded between the read and parking the waiter must not be missed.
    const reread = await page(agent, after, state, limit);
    if (reread.items.length > 0) {
      deps.notifier.notify(agentWaitKey(agent.id));
      return { ok: true, status: 200, value: reread };
    }
    await waiting;
    return { ok: true, status: 200, value: await page(agent, after, state, limit) };
  }

  async function get(agent: Agent, id: string): Promise<IncidentApiResult<Incident>> {
    const missing = { ok: false, status: 404, error: { code: 'not_found', message: 'no such incident' } } as const;
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return missing;
    const incident = await deps.store.get(id.toLowerCase());
    if (!incident || !visible(agent, incident)) return missing;
    return { ok: true, status: 200, value: incident };
  }

  return { list, get };
}

export type IncidentApi = ReturnType<typeof createIncidentApi>;
