import { describe, expect, it } from 'vitest';
import { niceMax, outcomeChartLayout } from '../../src/audit/audit-chart.ts';
import { buildOverview, categoryOf, dayRange, type OverviewRow } from '../../src/audit/audit-overview.ts';
import { createOverviewSource } from '../../src/audit/audit-overview-source.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { describeEntry } from '../../src/audit/audit-timeline.ts';
import { openTestStore } from '../support/test-store.ts';
import { appendConsentFlows, appendRequestFlows, APPROVER, CORRELATION, LEGACY_CONSENT_REQUEST, MI, MI_PRINCIPAL } from './audit-flow-fixtures.ts';

const row = (day: string, eventType: string, outcome: string | null, count: number, extra: Partial<OverviewRow> = {}): OverviewRow => ({
  day,
  eventType,
  outcome,
  actingIdentity: null,
  actor: 'other',
  agentId: 'a1',
  action: null,
  count,
  ...extra,
});

describe('overview aggregation (rows in, series out)', () => {
  it('classifies executions by identity, and denials, expiries and forbidden submissions', () => {
    expect(categoryOf({ eventType: 'operation.transition', outcome: 'executing', actingIdentity: 'agent:a1', actor: 'agent', agentId: 'a1' })).toBe('executed-mi');
    expect(categoryOf({ eventType: 'operation.transition', outcome: 'executing', actingIdentity: APPROVER.oid, actor: 'acting-user', agentId: 'a1' })).toBe('executed-obo');
    expect(categoryOf({ eventType: 'operation.transition', outcome: 'denied', actingIdentity: null, actor: 'agent', agentId: 'a1' })).toBe('denied');
    expect(categoryOf({ eventType: 'operation.transition', outcome: 'expired', actingIdentity: null, actor: 'agent', agentId: 'a1' })).toBe('expired');
    expect(categoryOf({ eventType: 'operation.forbidden', outcome: 'forbidden', actingIdentity: null, actor: 'agent', agentId: 'a1' })).toBe('forbidden');
    expect(categoryOf({ eventType: 'operation.transition', outcome: 'succeeded', actingIdentity: 'agent:a1', actor: 'agent', agentId: 'a1' })).toBeUndefined();
    expect(categoryOf({ eventType: 'arm.request', outcome: 'sent', actingIdentity: 'agent:a1', actor: 'agent', agentId: 'a1' })).toBeUndefined();
  });

  it('counts an execution recorded before 011 with the UAMI principal id as managed identity, not OBO', () => {
    // The old record of a consented write: actor the approving administrator, acting identity the UAMI.
    expect(categoryOf({ eventType: 'operation.transition', outcome: 'executing', actingIdentity: MI_PRINCIPAL, actor: 'other-user', agentId: 'a1' })).toBe('executed-mi');
    // Only the acting user's own object id is OBO.
    expect(categoryOf({ eventType: 'operation.transition', outcome: 'executing', actingIdentity: APPROVER.oid, actor: 'acting-user', agentId: 'a1' })).toBe('executed-obo');
  });

  it('fills every day of the range, sums per category and ranks elevated actions', () => {
    const rows = [
      row('2026-03-01', 'operation.transition', 'executing', 3, { actingIdentity: 'agent:a1' }),
      row('2026-03-01', 'operation.transition', 'executing', 2, { actingIdentity: 'obo-user', actor: 'acting-user' }),
      row('2026-03-03', 'operation.transition', 'denied', 1),
      row('2026-03-03', 'operation.forbidden', 'forbidden', 4),
      row('2026-03-03', 'operation.requested', 'pending_elevation', 5, { action: 'B/action' }),
      row('2026-03-02', 'operation.requested', 'pending_elevation', 5, { action: 'A/action' }),
      row('2026-03-02', 'operation.requested', 'pending_elevation', 2, { action: 'C/action' }),
      row('2026-03-02', 'operation.requested', 'execute', 9, { action: 'D/action' }),
      row('2026-02-01', 'operation.transition', 'expired', 7), // outside the range
    ];
    const o = buildOverview(rows, { lastDay: '2026-03-03', days: 3, topActions: 2 });
    expect(o.days.map((d) => d.day)).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(o.days.map((d) => d.total)).toEqual([5, 0, 5]);
    expect(o.days[0]!.counts).toEqual({ 'executed-mi': 3, 'executed-obo': 2, denied: 0, expired: 0, forbidden: 0 });
    expect(o.totals).toEqual({ 'executed-mi': 3, 'executed-obo': 2, denied: 1, expired: 0, forbidden: 4 });
    expect(o.topActions).toEqual([
      { action: 'A/action', count: 5 },
      { action: 'B/action', count: 5 },
    ]);
  });

  it('spans month and leap-day boundaries', () => {
    expect(dayRange('2028-03-01', 3)).toEqual(['2028-02-28', '2028-02-29', '2028-03-01']);
  });

  it('reads the same figures from a real log', async () => {
    const db = await openTestStore();
    const audit = createAuditLog(db, { clock: () => new Date('2026-03-10T08:00:00.000Z') });
    await appendRequestFlows(audit);
    await appendConsentFlows(audit);
    const source = createOverviewSource(db, { clock: () => new Date('2026-03-12T00:00:00.000Z') });
    const o = await source.overview(30);
    expect(o.to).toBe('2026-03-12');
    expect(o.days).toHaveLength(30);
    // The direct execution (agent:<id>), the consent recorded as before 011 (UAMI principal id) and
    // the one after it: 3 with the managed identity; the elevation: 1 with OBO.
    expect(o.totals).toEqual({ 'executed-mi': 3, 'executed-obo': 1, denied: 1, expired: 1, forbidden: 1 });
    expect(o.days.find((d) => d.day === '2026-03-10')!.total).toBe(7);
    // Forbidden submissions collapsed by the refusal recorder count with their repeats.
    await audit.append({ actor: { kind: 'agent', id: 'agent-sre-1' }, eventType: 'refusal.repeated', agentId: 'agent-sre-1', outcome: 'forbidden', details: { count: 4, repeatedEventType: 'operation.forbidden' } });
    await audit.append({ actor: { kind: 'user', id: 'u' }, eventType: 'refusal.repeated', outcome: 'forbidden', details: { count: 9, repeatedEventType: 'http.refused' } });
    const withRepeats = await createOverviewSource(db, { clock: () => new Date('2026-03-12T00:00:00.000Z'), cacheMs: 0 }).overview(30);
    expect(withRepeats.totals.forbidden).toBe(5);
    // Outside the 30 days: nothing.
    const later = await createOverviewSource(db, { clock: () => new Date('2026-05-01T00:00:00.000Z') }).overview(30);
    expect(later.days.every((d) => d.total === 0)).toBe(true);
    await db.close();
  });
});

describe('chart layout', () => {
  it('scales to a nice maximum and stacks bars within the plot', () => {
    expect([0, 1, 3, 7, 12, 99, 101].map(niceMax)).toEqual([1, 1, 5, 10, 20, 100, 200]);
    const o = buildOverview([row('2026-03-02', 'operation.transition', 'executing', 6, { actingIdentity: 'agent:a' }), row('2026-03-02', 'operation.transition', 'denied', 4)], { lastDay: '2026-03-03', days: 3 });
    const chart = outcomeChartLayout(o.days);
    expect(chart.bars).toHaveLength(2);
    const [mi, denied] = chart.bars;
    expect(mi!.y + mi!.height).toBeCloseTo(chart.plot.top + chart.plot.height, 0);
    expect(denied!.y + denied!.height).toBeCloseTo(mi!.y, 0);
    expect(mi!.height + denied!.height).toBeCloseTo(chart.plot.height, 0); // 10 of a nice max of 10
    expect(chart.yTicks.map((t) => t.label)).toEqual(['0', '2', '4', '6', '8', '10']);
    expect(outcomeChartLayout(buildOverview([row('2026-03-02', 'operation.forbidden', 'forbidden', 3)], { lastDay: '2026-03-03', days: 3 }).days).yTicks.map((t) => t.label)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(chart.summary).toContain('10 in total');
    for (const b of chart.bars) expect(b.x).toBeGreaterThanOrEqual(chart.plot.left);
  });

  it('draws nothing but axes for an empty month', () => {
    const chart = outcomeChartLayout(buildOverview([], { lastDay: '2026-03-30', days: 30 }).days);
    expect(chart.bars).toEqual([]);
    expect(chart.xLabels.length).toBeLessThanOrEqual(9);
    // Labels never crowd each other (at least three days apart).
    const xs = chart.xLabels.map((l) => l.x);
    const slot = chart.plot.width / 30;
    for (let i = 1; i < xs.length; i++) expect(xs[i]! - xs[i - 1]!).toBeGreaterThanOrEqual(slot * 2);
  });
});

describe('timeline descriptions', () => {
  it('names each stage, the identity used, the approver, the correlation id and the discarded token', async () => {
    const db = await openTestStore();
    const audit = createAuditLog(db);
    await appendRequestFlows(audit);
    await appendConsentFlows(audit);
    const items = (await audit.list({ requestId: 'req-obo-0001' }, { limit: 100 })).entries.reverse().map(describeEntry);
    expect(items.map((i) => i.stage)).toEqual(['raised', 'approved', 'approved', 'executing', 'arm-request', 'arm-response', 'token-discarded', 'executed']);
    expect(items[3]!.identity).toEqual({ id: APPROVER.oid, kind: 'OBO' });
    expect(items[4]!.correlationId).toBe(CORRELATION);
    expect(items[6]).toMatchObject({ approver: { id: APPROVER.oid, upn: APPROVER.upn, tid: APPROVER.tid }, utiHash: 'ab'.repeat(32), correlationId: CORRELATION, identity: { id: APPROVER.oid, kind: 'OBO' } });
    expect(items[1]!.summary).toBe(`Approved by ${APPROVER.upn} (elevation)`);
    const mi = (await audit.list({ requestId: 'req-mi-0002', eventType: 'arm.request' })).entries.map(describeEntry)[0]!;
    expect(mi.identity).toEqual({ id: MI, kind: 'managed identity' });
    expect(mi.summary).toBe(`Sent to ARM as managed identity ${MI}`);
    // A consent executed before 011 recorded the UAMI principal id: read as the agent's managed identity.
    const legacy = (await audit.list({ requestId: LEGACY_CONSENT_REQUEST }, { limit: 100 })).entries.reverse().map(describeEntry);
    expect(legacy.filter((i) => i.identity).map((i) => i.identity)).toEqual(Array(3).fill({ id: MI, kind: 'managed identity', recorded: MI_PRINCIPAL }));
    expect(legacy.find((i) => i.stage === 'executing')!.summary).toBe(`Execution started with managed identity ${MI}`);
    await db.close();
  });

  it('tells an interrupted execution and a crash-discarded token apart, and an exchange that is only starting (issue 11)', async () => {
    const db = await openTestStore();
    const audit = createAuditLog(db);
    const base = { subject: 'req-x', requestId: 'req-x', agentId: 'a1', action: 'Microsoft.Compute/virtualMachines/restart/action', scope: '/subscriptions/s' };
    const user = { kind: 'user' as const, id: APPROVER.oid, name: APPROVER.upn };
    await audit.append({ ...base, actor: user, eventType: 'approval.obo.started', outcome: 'exchanging', approverId: APPROVER.oid, details: { approver: { oid: APPROVER.oid, upn: APPROVER.upn, tid: APPROVER.tid } } });
    await audit.append({ ...base, actor: { kind: 'system', id: 'elevate' }, eventType: 'operation.transition', outcome: 'outcome_unknown', details: { from: 'executing', to: 'outcome_unknown', event: 'unknown', correlationId: CORRELATION } });
    await audit.append({ ...base, actor: user, eventType: 'token.discarded', outcome: 'discarded', approverId: APPROVER.oid, details: { approver: { oid: APPROVER.oid, upn: APPROVER.upn }, reason: 'process_end' } });
    const items = (await audit.list({ requestId: 'req-x' }, { limit: 10 })).entries.reverse().map(describeEntry);
    expect(items.map((i) => i.stage)).toEqual(['decided', 'outcome-unknown', 'token-discarded']);
    expect(items[0]!.summary).toContain('exchanging their token');
    expect(items[0]!.summary).not.toMatch(/^Approved/);
    expect(items[1]!.correlationId).toBe(CORRELATION);
    expect(items[2]!.summary).toContain('the service stopped while holding it');
    await db.close();
  });

  it('says which instance took an execution over and from whom (issue 16)', async () => {
    const db = await openTestStore();
    const audit = createAuditLog(db);
    const base = { subject: 'req-t', requestId: 'req-t', agentId: 'a1', actor: { kind: 'system' as const, id: 'elevate' }, eventType: 'operation.execution.taken_over', outcome: 'taken_over' };
    await audit.append({ ...base, details: { fromInstance: 'inst-a', toInstance: 'inst-b', correlationId: CORRELATION } });
    await audit.append({ ...base, details: { fromInstance: null, toInstance: 'inst-b', correlationId: CORRELATION } });
    const [named, unnamed] = (await audit.list({ requestId: 'req-t' }, { limit: 10 })).entries.reverse().map(describeEntry);
    expect(named!.summary).toBe('Execution taken over by instance inst-b from instance inst-a, which is no longer alive');
    expect(named!.correlationId).toBe(CORRELATION);
    expect(unnamed!.summary).toBe('Execution taken over by instance inst-b from a process that named no instance');
    await db.close();
  });

  it('says what ARM answered after the request had been ended elsewhere (issue 16)', async () => {
    const db = await openTestStore();
    const audit = createAuditLog(db);
    await audit.append({
      subject: 'req-l',
      requestId: 'req-l',
      agentId: 'a1',
      actor: { kind: 'system', id: 'elevate' },
      eventType: 'operation.execution.late_result',
      outcome: 'succeeded',
      details: { observed: 'succeeded', endedAs: 'outcome_unknown', status: 200, correlationId: CORRELATION, armRequestId: null, instance: 'inst-a' },
    });
    const [late] = (await audit.list({ requestId: 'req-l' }, { limit: 10 })).entries.map(describeEntry);
    expect(late!.summary).toBe('ARM answered succeeded (200) after the request had been ended as outcome_unknown elsewhere; the state stays, the answer is kept here');
    expect(late!.correlationId).toBe(CORRELATION);
    await db.close();
  });
});
