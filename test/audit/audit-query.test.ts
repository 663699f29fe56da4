import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditQuery, type AuditQuery } from '../../src/audit/audit-query.ts';
import { decodeCursor, encodeCursor } from '../../src/audit/audit-cursor.ts';
import { parseAuditSearch, type AuditSearch } from '../../src/audit/audit-search.ts';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import type { Database } from '../../src/store/database.ts';
import { generatedLog, pick, prng } from './audit-search-fixtures.ts';

/** The filters under test, each with how to draw a value from an entry and a plain check. */
interface FilterSpec {
  name: keyof AuditSearch;
  draw(rand: () => number, e: AuditEntry): string | undefined;
  keep(e: AuditEntry, value: string): boolean;
}

const lower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const exact = (name: keyof AuditSearch & keyof AuditEntry): FilterSpec => ({
  name,
  draw: (_r, e) => (e[name] as string | null) ?? undefined,
  keep: (e, v) => e[name] === v,
});

/**
 * Acting identity: the recorded value, or `agent:<agent>` for an execution entry from before 011
 * that recorded the UAMI's principal id (neither `agent:…`, Elevate's own identity, nor the acting
 * user's own object id). Drawn as either.
 */
const LEGACY_EXECUTION_EVENTS = ['operation.transition', 'arm.request', 'arm.response'];
const legacyManagedIdentity = (e: AuditEntry): string | undefined =>
  e.actingIdentity !== null &&
  e.agentId !== null &&
  LEGACY_EXECUTION_EVENTS.includes(e.eventType) &&
  !e.actingIdentity.startsWith('agent:') &&
  e.actingIdentity !== 'elevate-governance' &&
  (e.actor.kind === 'agent' || (e.actor.kind === 'user' && e.actor.id !== e.actingIdentity))
    ? `agent:${e.agentId}`
    : undefined;
const actingIdentity: FilterSpec = {
  name: 'actingIdentity',
  draw: (r, e) => (r() < 0.5 ? (legacyManagedIdentity(e) ?? e.actingIdentity ?? undefined) : (e.actingIdentity ?? undefined)),
  keep: (e, v) => e.actingIdentity === v || legacyManagedIdentity(e) === v,
};

const FILTERS: FilterSpec[] = [
  { name: 'from', draw: (_r, e) => e.ts, keep: (e, v) => e.ts >= v },
  // 'to' is exclusive: draw an instant just after the entry so it is included.
  { name: 'to', draw: (_r, e) => new Date(Date.parse(e.ts) + 1).toISOString(), keep: (e, v) => e.ts < v },
  exact('agentId'),
  actingIdentity,
  exact('approverId'),
  exact('action'),
  {
    name: 'scopePrefix',
    // A prefix cut at a random segment boundary, in a random case.
    draw: (r, e) => {
      if (e.scope === null) return undefined;
      const parts = e.scope.split('/');
      const cut = parts.slice(0, 2 + Math.floor(r() * (parts.length - 1))).join('/');
      return r() < 0.5 ? cut.toUpperCase() : cut;
    },
    keep: (e, v) => e.scope !== null && (lower(e.scope) === lower(v) || lower(e.scope).startsWith(`${lower(v)}/`)),
  },
  exact('requestId'),
  exact('eventType'),
  exact('outcome'),
];

async function allPages(query: AuditQuery, search: AuditSearch, order: 'desc' | 'asc', limit: number): Promise<number[]> {
  const seqs: number[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await query.page(search, { limit, order, ...(cursor ? { cursor } : {}) });
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    seqs.push(...page.entries.map((e) => e.seq));
    if (!page.nextCursor) return seqs;
    expect(page.entries.length).toBe(limit);
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

function bruteForce(entries: AuditEntry[], chosen: Array<[FilterSpec, string]>, order: 'desc' | 'asc'): number[] {
  const seqs = entries.filter((e) => chosen.every(([f, v]) => f.keep(e, v))).map((e) => e.seq);
  return order === 'desc' ? seqs.reverse() : seqs;
}

async function checkAllCombinations(db: Database, entries: AuditEntry[], seed: number, walkWindow?: number): Promise<{ combos: number; nonEmpty: number }> {
  const query = createAuditQuery(db, walkWindow === undefined ? {} : { walkWindow });
  const rand = prng(seed);
  let combos = 0;
  let nonEmpty = 0;
  for (let mask = 0; mask < 1 << FILTERS.length; mask++) {
    // Two draws per combination: all values from one entry (usually a hit), and each value from
    // a different entry (often a miss, sometimes a surprising hit).
    for (const mode of ['same', 'mixed'] as const) {
      const anchor = pick(rand, entries);
      const chosen: Array<[FilterSpec, string]> = [];
      FILTERS.forEach((f, bit) => {
        if (!(mask & (1 << bit))) return;
        const source = mode === 'same' ? anchor : pick(rand, entries);
        const value = f.draw(rand, source) ?? f.draw(rand, pick(rand, entries)) ?? (f.name === 'scopePrefix' ? '/no/such-scope' : 'no-such-value');
        chosen.push([f, value]);
      });
      const from = chosen.find(([f]) => f.name === 'from');
      const to = chosen.find(([f]) => f.name === 'to');
      if (from && to && from[1] >= to[1]) {
        // A reversed range is a usage error, not an empty result; test the range the other way round.
        expect(() => parseAuditSearch({ from: from[1], to: to[1] })).toThrow(/from must be before to/);
        [from[1], to[1]] = [new Date(Date.parse(to[1]) - 1).toISOString(), new Date(Date.parse(from[1]) + 1).toISOString()];
      }
      // Through the same parser the pages and the API use (a bare value as a user would type it).
      const search = parseAuditSearch(Object.fromEntries(chosen.map(([f, v]) => [f.name, v])));
      const order = rand() < 0.5 ? 'desc' : 'asc';
      const expected = bruteForce(entries, chosen, order);
      const got = await allPages(query, search, order, 1 + Math.floor(rand() * 400));
      expect(got, `mask ${mask.toString(2)} ${JSON.stringify(search)}`).toEqual(expected);
      combos += 1;
      if (expected.length > 0) nonEmpty += 1;
    }
  }
  return { combos, nonEmpty };
}

describe('audit search: every filter combination against a brute-force scan', () => {
  let monotonic: { db: Database; entries: AuditEntry[] };
  let stepping: { db: Database; entries: AuditEntry[] };

  beforeAll(async () => {
    monotonic = await generatedLog(3000, 7);
    stepping = await generatedLog(2000, 11, { stepBack: 0.05 });
  }, 120_000);
  afterAll(async () => {
    await monotonic.db.close();
    await stepping.db.close();
  });

  it('returns exactly the matching entries, all pages concatenated, for all 2^10 combinations', async () => {
    const { combos, nonEmpty } = await checkAllCombinations(monotonic.db, monotonic.entries, 1);
    expect(combos).toBe(2 * 1024);
    // The draws must exercise real matches, not just empty results.
    expect(nonEmpty).toBeGreaterThan(1024);
  }, 300_000);

  it('stays exact when the clock stepped back (timestamps not monotonic in seq)', async () => {
    const ts = stepping.entries.map((e) => e.ts);
    expect(ts.some((t, i) => i > 0 && t < ts[i - 1]!)).toBe(true);
    // A small walk window makes range-only searches take both plans: the walk and the range index.
    const { nonEmpty } = await checkAllCombinations(stepping.db, stepping.entries, 2, 40);
    expect(nonEmpty).toBeGreaterThan(1024);
  }, 300_000);

  it('matches a scope prefix segment by segment, whatever the case', async () => {
    const query = createAuditQuery(monotonic.db);
    const seqs = async (prefix: string) => (await allSeqs(query, { scopePrefix: prefix })).map((s) => monotonic.entries.find((e) => e.seq === s)!.scope);
    const rg1 = await seqs('/subscriptions/s1/resourceGroups/rg1');
    expect(rg1.length).toBeGreaterThan(0);
    for (const scope of rg1) expect(scope!.toLowerCase()).toMatch(/^\/subscriptions\/s1\/resourcegroups\/rg1($|\/)/);
    expect(rg1.some((s) => /rg10|rg1-old/.test(s!))).toBe(false);
    expect(rg1.some((s) => s!.startsWith('/subscriptions/S1/resourcegroups/RG1'))).toBe(true);
    // A trailing slash changes nothing; LIKE wildcards are plain characters.
    expect(await seqs('/subscriptions/s1/resourceGroups/rg1/')).toEqual(rg1);
    expect(await seqs('/subscriptions/s1/resourceGroups/rg%')).toEqual([]);
    expect(await seqs('/subscriptions/s1/resourceGroups/rg_')).toEqual([]);
  });

  it('finds a managed identity’s work by agent:<id>, entries recorded before 011 with the UAMI principal id included', async () => {
    const query = createAuditQuery(monotonic.db);
    const found = await allSeqs(query, { actingIdentity: 'agent:a1' });
    const byId = new Map(monotonic.entries.map((e) => [e.seq, e]));
    const legacy = found.filter((s) => byId.get(s)!.actingIdentity !== 'agent:a1');
    expect(found.length).toBeGreaterThan(legacy.length);
    expect(legacy.length).toBeGreaterThan(0);
    for (const s of legacy) {
      const e = byId.get(s)!;
      expect(e.agentId).toBe('a1');
      expect(['uami-principal-1', 'uami-principal-2', 'approver-1', 'approver-2']).toContain(e.actingIdentity);
      // triggered by the agent or by another user (a consent), never the acting user's own token
      expect(e.actor.kind === 'agent' || (e.actor.kind === 'user' && e.actor.id !== e.actingIdentity)).toBe(true);
    }
    // The recorded value still finds exactly what recorded it.
    for (const e of await allSeqs(query, { actingIdentity: 'uami-principal-1' })) expect(byId.get(e)!.actingIdentity).toBe('uami-principal-1');
  });
});

async function allSeqs(query: AuditQuery, search: AuditSearch): Promise<number[]> {
  const out: number[] = [];
  for await (const e of query.stream(search)) out.push(e.seq);
  return out;
}

describe('audit search: pages, cursors and streams', () => {
  let log: { db: Database; entries: AuditEntry[] };
  beforeAll(async () => {
    log = await generatedLog(600, 3);
  });
  afterAll(() => log.db.close());

  it('streams the same entries in the same order as the pages, in both orders', async () => {
    const query = createAuditQuery(log.db);
    for (const order of ['desc', 'asc'] as const) {
      for (const search of [{}, { agentId: 'a1' }, { eventType: 'arm.request', outcome: '200' }]) {
        const streamed: number[] = [];
        for await (const e of query.stream(search, { order, pageSize: 37 })) streamed.push(e.seq);
        expect(streamed).toEqual(await allPages(query, search, order, 50));
      }
    }
  });

  it('leaves out entries appended after a stream began', async () => {
    const { audit, db, entries } = await generatedLog(30, 5);
    const query = createAuditQuery(db);
    const stream = query.stream({}, { pageSize: 10 });
    const first = await stream.next();
    await audit.append({ actor: { kind: 'system', id: 'elevate' }, eventType: 'test.late' });
    const rest: number[] = [];
    for await (const e of stream) rest.push(e.seq);
    expect([first.value!.seq, ...rest]).toEqual(entries.map((e) => e.seq).reverse());
    await db.close();
  });

  it('refuses forged, foreign or mismatched cursors and bad limits', async () => {
    const query = createAuditQuery(log.db);
    await expect(query.page({}, { cursor: 'c1.nope!' })).rejects.toThrow(/cursor/);
    await expect(query.page({}, { cursor: `c1.${Buffer.from('d1; DROP TABLE audit_log').toString('base64url')}` })).rejects.toThrow(/cursor/);
    await expect(query.page({}, { cursor: encodeCursor({ order: 'asc', seq: 5 }) })).rejects.toThrow(/order=asc/);
    await expect(query.page({}, { limit: 0 })).rejects.toThrow(/limit/);
    await expect(query.page({}, { limit: 501 })).rejects.toThrow(/limit/);
    await expect(query.page({}, { limit: 1.5 })).rejects.toThrow(/limit/);
    expect(decodeCursor(encodeCursor({ order: 'desc', seq: 42 }))).toEqual({ order: 'desc', seq: 42 });
  });

  it('takes hostile filter values as plain data', async () => {
    const query = createAuditQuery(log.db);
    for (const value of ["' OR 1=1 --", '%', '_', 'a1\u0000', 'a1"; DROP TABLE audit_log; --']) {
      const search = (() => {
        try {
          return parseAuditSearch({ agentId: value });
        } catch {
          return undefined;
        }
      })();
      if (search) expect((await query.page(search)).entries).toEqual([]);
    }
    expect((await query.page({})).entries.length).toBe(50);
  });

  it('returns one request as a timeline, oldest first', async () => {
    const query = createAuditQuery(log.db);
    const requestId = log.entries.find((e) => e.requestId !== null)!.requestId!;
    const { entries, truncated } = await query.timeline(requestId);
    expect(truncated).toBe(false);
    expect(entries.map((e) => e.seq)).toEqual(log.entries.filter((e) => e.requestId === requestId).map((e) => e.seq));
    expect((await query.timeline(requestId, 1)).truncated).toBe(entries.length > 1);
    expect(await query.entry(0)).toBeUndefined();
    expect((await query.entry(log.entries[3]!.seq))?.hash).toBe(log.entries[3]!.hash);
  });
});
