/**
 * The approvers' history against a brute-force listing: every combination of view (all / mine),
 * state, agent and kind, paged with random page sizes, must give exactly the matching requests,
 * newest first (ties on created_at broken by id), each once. Plus the parser's refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApprovalStore } from '../../src/approvals/approval-store.ts';
import { createRequestHistory, HISTORY_KINDS, parseHistoryQuery, HistoryQueryError, type HistoryKind, type HistoryQuery } from '../../src/approvals/request-history.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { createOperationRequestStore } from '../../src/operations/operation-request-store.ts';
import { encodeCursor } from '../../src/operations/request-listing.ts';
import { REQUEST_STATES, type OperationRequest, type RequestState } from '../../src/operations/operation-types.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestStore } from '../support/test-store.ts';
import { pick, prng } from '../audit/audit-search-fixtures.ts';

const VIEWER = 'AbCd0000-0000-4000-8000-0000000000v1'.replace('v', 'a');
const OTHER = 'ef000000-0000-4000-8000-0000000000b2';
const AGENTS = ['agent-a', 'agent-b', 'agent-c'];
const OUTCOMES = Object.values(HISTORY_KINDS);

let db: Database;
let all: OperationRequest[];
/** request id -> whether VIEWER approved or denied it */
const mine = new Set<string>();
/** … and those OTHER decided */
const theirs = new Set<string>();

beforeAll(async () => {
  db = await openTestStore();
  const store = createOperationRequestStore(db);
  const approvals = createApprovalStore(db);
  const audit = createAuditLog(db);
  const rand = prng(42);
  all = [];
  for (let i = 0; i < 160; i++) {
    // Few distinct timestamps: many ties, so the id must break them.
    const createdAt = new Date(Date.UTC(2026, 0, 1, 0, Math.floor(rand() * 40))).toISOString();
    const outcome = pick(rand, OUTCOMES);
    const request = {
      id: `req-${String(Math.floor(rand() * 1e6)).padStart(6, '0')}-${i}`,
      agentId: pick(rand, AGENTS),
      idempotencyKey: `k-${i}`,
      state: pick(rand, REQUEST_STATES),
      version: 0,
      operation: { method: 'POST', path: `/subscriptions/s/resourceGroups/rg/providers/X/y/${i}/restart`, apiVersion: '2024-01-01' },
      operationHash: 'a'.repeat(64),
      trigger: { kind: 'chat' },
      decision: { outcome, reasonCode: 'x', explanation: 'x', action: 'X/y/restart/action', scope: '/subscriptions/s', isWrite: true, runMode: 'Review', wouldBeGrantedBy: [] },
      createdAt,
      updatedAt: createdAt,
    } as unknown as OperationRequest;
    expect(await store.insert({ request, submissionHash: 'b'.repeat(64) })).toBe(true);
    all.push(request);
    const r = rand();
    const who = rand() < 0.5 ? VIEWER : OTHER;
    if (r < 0.25) {
      await approvals.recordApproval({ requestId: request.id, approver: { oid: who, upn: 'u', tid: 't' }, kind: 'consent', reason: 'ok', at: createdAt });
      (who === VIEWER ? mine : theirs).add(request.id);
    } else if (r < 0.45) {
      await audit.append({ actor: { kind: 'user', id: who }, eventType: 'operation.transition', requestId: request.id, agentId: request.agentId, outcome: 'denied', approverId: who });
      (who === VIEWER ? mine : theirs).add(request.id);
    } else if (r < 0.5) {
      // Not decisions: a refused attempt, and a decision event of another kind.
      await audit.append({ actor: { kind: 'user', id: VIEWER }, eventType: 'approval.refused', requestId: request.id, outcome: 'refused', approverId: VIEWER });
      await audit.append({ actor: { kind: 'user', id: VIEWER }, eventType: 'operation.transition', requestId: request.id, outcome: 'approved', approverId: null });
    }
  }
  expect(mine.size).toBeGreaterThan(10);
}, 60_000);

afterAll(() => db.close());

function bruteForce(q: Omit<HistoryQuery, 'limit' | 'after'>): string[] {
  return all
    .filter((r) => (q.view === 'all' || mine.has(r.id)) && (!q.state || r.state === q.state) && (!q.agentId || r.agentId === q.agentId) && (!q.kind || r.decision.outcome === HISTORY_KINDS[q.kind]))
    .sort((a, b) => (a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? 1 : -1) : a.id < b.id ? 1 : -1))
    .map((r) => r.id);
}

describe('approvers’ history: filters × paging against a brute-force listing', () => {
  it('lists exactly the matching requests, newest first, each once, whatever the page size', async () => {
    const history = createRequestHistory(db, createOperationRequestStore(db));
    const rand = prng(7);
    let combos = 0;
    let nonEmpty = 0;
    for (const view of ['all', 'mine'] as const) {
      for (const state of [undefined, ...REQUEST_STATES] as Array<RequestState | undefined>) {
        for (const agentId of [undefined, ...AGENTS, 'agent-none']) {
          for (const kind of [undefined, ...Object.keys(HISTORY_KINDS)] as Array<HistoryKind | undefined>) {
            const filters = { view, ...(state ? { state } : {}), ...(agentId ? { agentId } : {}), ...(kind ? { kind } : {}) };
            const limit = 1 + Math.floor(rand() * 30);
            const got: string[] = [];
            let after: HistoryQuery['after'];
            for (let guard = 0; guard < 500; guard++) {
              const page = await history.page({ ...filters, limit, ...(after ? { after } : {}) }, VIEWER);
              expect(page.requests.length).toBeLessThanOrEqual(limit);
              got.push(...page.requests.map((r) => r.id));
              if (!page.nextCursor) break;
              expect(page.requests.length).toBe(limit);
              // The cursor as a browser sends it back, through the parser.
              after = parseHistoryQuery({ cursor: page.nextCursor }).after;
            }
            const expected = bruteForce(filters);
            expect(got, JSON.stringify(filters)).toEqual(expected);
            combos += 1;
            if (expected.length) nonEmpty += 1;
          }
        }
      }
    }
    // every combination was walked: views × (any state + each) × (any agent + each + none) × (any kind + each)
    expect(combos).toBe(2 * (1 + REQUEST_STATES.length) * (2 + AGENTS.length) * (1 + Object.keys(HISTORY_KINDS).length));
    expect(nonEmpty).toBeGreaterThan(150);
  }, 120_000);

  it('lists another approver’s decisions only to them', async () => {
    const history = createRequestHistory(db, createOperationRequestStore(db));
    const forOther = (await history.page({ view: 'mine', limit: 200 }, OTHER)).requests.map((r) => r.id);
    expect(new Set(forOther)).toEqual(theirs);
    expect(forOther.some((id) => mine.has(id))).toBe(false);
    expect((await history.page({ view: 'mine', limit: 200 }, 'nobody')).requests).toEqual([]);
  });
});

describe('parseHistoryQuery', () => {
  it('reads the filters and defaults to every request', () => {
    expect(parseHistoryQuery({})).toEqual({ view: 'all', limit: 50 });
    expect(parseHistoryQuery({ view: 'mine', state: 'denied', agent: 'agent-a', kind: 'elevation', limit: '10' })).toEqual({ view: 'mine', state: 'denied', agentId: 'agent-a', kind: 'elevation', limit: 10 });
    const after = { createdAt: '2026-01-01T00:00:00.000Z', id: 'req-1' };
    expect(parseHistoryQuery({ cursor: encodeCursor(after) }).after).toEqual(after);
    expect(parseHistoryQuery({ state: '', agent: ' ' })).toEqual({ view: 'all', limit: 50 });
  });

  it('refuses what it does not know rather than list more', () => {
    for (const params of [
      { approver: 'someone-else' },
      { view: 'theirs' },
      { state: 'pending' },
      { kind: 'constructor' },
      { kind: '__proto__' },
      { agent: "a' OR 1=1 --" },
      { limit: '0' },
      { limit: '201' },
      { cursor: 'forged' },
      { cursor: Buffer.from('["not a date","x"]').toString('base64url') },
      { state: ['denied', 'failed'] },
    ]) {
      expect(() => parseHistoryQuery(params), JSON.stringify(params)).toThrow(HistoryQueryError);
    }
  });
});
