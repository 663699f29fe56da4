import { describe, expect, it } from 'vitest';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import { createDecisionQueryAudit, DECISION_REPEATED } from '../../src/operations/decision-query-audit.ts';
import { alwaysSeen } from './support/always-seen.ts';

const entry = (n: number): AuditInput => ({ actor: { kind: 'agent', id: 'a1' }, eventType: 'operation.decided', agentId: 'a1', action: 'X/read', scope: '/s', outcome: 'execute', details: { n, decision: { outcome: 'execute' } } });

function sink() {
  const appended: AuditInput[] = [];
  let gate: Promise<void> | undefined;
  let failing = false;
  return {
    appended,
    hold() {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    fail: (f: boolean) => (failing = f),
    async append(input: AuditInput) {
      if (gate) await gate;
      if (failing) throw new Error('disk full');
      appended.push(input);
      return {};
    },
  };
}

describe('decision query audit', () => {
  it('builds an entry given as a function only when it is appended, not for a counted repeat', async () => {
    const s = sink();
    const q = createDecisionQueryAudit(s, { windowMs: 60_000, clock: () => new Date(0), sightings: alwaysSeen });
    let built = 0;
    const lazy = (n: number) => () => ((built += 1), entry(n));
    await q.record('k', lazy(1));
    await q.record('k', lazy(2));
    await q.record('k', lazy(3));
    expect(built).toBe(1);
    expect(s.appended.map((e) => e.details?.n)).toEqual([1]);
    await q.flush();
    expect(s.appended.map((e) => [e.eventType, e.details?.count])).toEqual([['operation.decided', undefined], [DECISION_REPEATED, 2]]);
  });

  it('appends the first of identical queries, counts the repeats and appends the count when the window ends', async () => {
    let t = 0;
    const s = sink();
    const q = createDecisionQueryAudit(s, { windowMs: 60_000, clock: () => new Date(t), sightings: alwaysSeen });
    await q.record('k', entry(1));
    for (let i = 2; i <= 5; i++) await q.record('k', entry(i));
    await q.record('other', entry(6));
    expect(s.appended.map((e) => e.details?.n)).toEqual([1, 6]);
    t = 59_999;
    await q.flushDue();
    expect(s.appended).toHaveLength(2);
    t = 60_000;
    await q.flushDue();
    expect(s.appended).toHaveLength(3);
    expect(s.appended[2]).toMatchObject({ eventType: DECISION_REPEATED, agentId: 'a1', action: 'X/read', outcome: 'execute', details: { count: 4, decision: { outcome: 'execute' } } });
    // a new window starts with a fresh, fully recorded entry
    await q.record('k', entry(7));
    expect(s.appended.at(-1)?.details?.n).toBe(7);
  });

  it('keeps of the first entry only its columns and decision for the count, and appends the first entry whole', async () => {
    const s = sink();
    const q = createDecisionQueryAudit(s, { windowMs: 60_000, clock: () => new Date(0), sightings: alwaysSeen });
    const first: AuditInput = { ...entry(1), details: { n: 1, decision: { outcome: 'execute' }, operation: { path: '/s' }, justification: 'why' } };
    await q.record('k', first);
    await q.record('k', entry(2));
    await q.flush();
    expect(s.appended[0]).toBe(first);
    expect(first.details).toEqual({ n: 1, decision: { outcome: 'execute' }, operation: { path: '/s' }, justification: 'why' });
    const { details, ...columns } = s.appended[1]!;
    const { details: _firstDetails, ...firstColumns } = first;
    expect(columns).toEqual({ ...firstColumns, eventType: DECISION_REPEATED });
    expect(Object.keys(details!).sort()).toEqual(['count', 'decision', 'lastAt', 'windowStart']);
    expect(details).toMatchObject({ count: 1, decision: { outcome: 'execute' } });
  });

  it('answers a repeat only once the first entry is durable, and fails it with the first', async () => {
    const s = sink();
    const q = createDecisionQueryAudit(s, { sightings: alwaysSeen });
    const release = s.hold();
    s.fail(true);
    let repeatSettled = false;
    const first = q.record('k', entry(1));
    const repeat = q.record('k', entry(2)).finally(() => (repeatSettled = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(repeatSettled).toBe(false);
    release();
    await expect(first).rejects.toThrow('disk full');
    await expect(repeat).rejects.toThrow('disk full');
    expect(q.size()).toBe(0);
    s.fail(false);
    await q.record('k', entry(3));
    expect(s.appended.map((e) => e.details?.n)).toEqual([3]);
  });

  it('appends every query on its own past the bound of open windows, and flushes counts at close', async () => {
    const s = sink();
    const q = createDecisionQueryAudit(s, { maxKeys: 1, sightings: alwaysSeen });
    await q.record('a', entry(1));
    await q.record('a', entry(2));
    await q.record('b', entry(3));
    await q.record('b', entry(4));
    expect(s.appended.map((e) => e.details?.n)).toEqual([1, 3, 4]);
    await q.close();
    expect(s.appended.at(-1)).toMatchObject({ eventType: DECISION_REPEATED, details: { count: 1 } });
  });

  it('opens a window from the second asking of a question: the first two are appended whole, the rest counted', async () => {
    const s = sink();
    const q = createDecisionQueryAudit(s, { clock: () => new Date(0) });
    for (let n = 1; n <= 5; n++) await q.record('k', entry(n));
    expect(s.appended.map((e) => e.details?.n)).toEqual([1, 2]);
    expect(q.size()).toBe(1);
    await q.flush();
    expect(s.appended.at(-1)).toMatchObject({ eventType: DECISION_REPEATED, details: { count: 3 } });
  });

  it('keeps a polled question counted through a burst of questions each asked once', async () => {
    const s = sink();
    const q = createDecisionQueryAudit(s, { maxKeys: 4, clock: () => new Date(0) });
    await q.record('polled', entry(0));
    await q.record('polled', entry(0));
    for (let n = 1; n <= 100; n++) await q.record(`once-${n}`, entry(n));
    // Every one-off question is on the log, and none took a window from the polled one.
    expect(s.appended).toHaveLength(102);
    expect(q.size()).toBe(1);
    for (let i = 0; i < 10; i++) await q.record('polled', entry(0));
    expect(s.appended).toHaveLength(102);
    await q.flush();
    expect(s.appended.at(-1)).toMatchObject({ eventType: DECISION_REPEATED, details: { count: 10 } });
  });
});
