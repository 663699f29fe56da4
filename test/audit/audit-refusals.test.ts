import { describe, expect, it } from 'vitest';
import { collapsingAudit, createRefusalRecorder, REFUSAL_REPEATED } from '../../src/audit/audit-refusals.ts';
import type { AuditInput } from '../../src/audit/audit-types.ts';

function fakeAudit() {
  const appended: AuditInput[] = [];
  let failing = false;
  return {
    appended,
    fail: (on: boolean) => void (failing = on),
    append: async (input: AuditInput) => {
      if (failing) throw new Error('disk full');
      appended.push(input);
      return input;
    },
  };
}

function clock(start = Date.parse('2026-03-01T00:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

const denied = (who: string, path = '/audit'): AuditInput => ({
  actor: { kind: 'user', id: who },
  eventType: 'http.refused',
  outcome: 'forbidden',
  details: { status: 403, path },
});

describe('refusal recorder', () => {
  it('appends the first refusal at once and one refusal.repeated with the count when the minute is over', async () => {
    const audit = fakeAudit();
    const c = clock();
    const rec = createRefusalRecorder(audit, c.now);
    await rec.record('u1', 'http.403', denied('u1'));
    expect(audit.appended).toHaveLength(1);
    for (let i = 0; i < 500; i++) {
      c.advance(100);
      await rec.record('u1', 'http.403', denied('u1'));
    }
    // 500 repeats within 50 s: nothing more written yet.
    expect(audit.appended).toHaveLength(1);
    await rec.flushDue();
    expect(audit.appended).toHaveLength(1);
    c.advance(10_001);
    await rec.flushDue();
    expect(audit.appended).toHaveLength(2);
    expect(audit.appended[1]).toMatchObject({
      eventType: REFUSAL_REPEATED,
      actor: { kind: 'user', id: 'u1' },
      outcome: 'forbidden',
      details: { identity: 'u1', reason: 'http.403', count: 500, repeatedEventType: 'http.refused', windowStart: '2026-03-01T00:00:00.000Z' },
    });
    expect(rec.size()).toBe(0);
    // A new minute starts with a fresh first occurrence.
    await rec.record('u1', 'http.403', denied('u1'));
    expect(audit.appended).toHaveLength(3);
    expect(audit.appended[2]!.eventType).toBe('http.refused');
  });

  it('keeps identities and reasons apart', async () => {
    const audit = fakeAudit();
    const rec = createRefusalRecorder(audit, clock().now);
    await rec.record('u1', 'http.403', denied('u1'));
    await rec.record('u2', 'http.403', denied('u2'));
    await rec.record('u1', 'http.401', denied('u1'));
    await rec.record('u1', 'http.403', denied('u1'));
    expect(audit.appended.map((a) => a.actor.id)).toEqual(['u1', 'u2', 'u1']);
    await rec.close();
    expect(audit.appended).toHaveLength(4);
    expect(audit.appended[3]!.details).toMatchObject({ identity: 'u1', reason: 'http.403', count: 1 });
  });

  it('flushes a repeat count when the next refusal arrives after the window, without a timer', async () => {
    const audit = fakeAudit();
    const c = clock();
    const rec = createRefusalRecorder(audit, c.now);
    await rec.record('u1', 'r', denied('u1'));
    await rec.record('u1', 'r', denied('u1'));
    c.advance(60_000);
    await rec.record('u1', 'r', denied('u1'));
    expect(audit.appended.map((a) => a.eventType)).toEqual(['http.refused', REFUSAL_REPEATED, 'http.refused']);
  });

  it('rejects when the first refusal cannot be written and tries again next time', async () => {
    const audit = fakeAudit();
    const rec = createRefusalRecorder(audit, clock().now);
    audit.fail(true);
    await expect(rec.record('u1', 'r', denied('u1'))).rejects.toThrow(/disk full/);
    audit.fail(false);
    await rec.record('u1', 'r', denied('u1'));
    expect(audit.appended).toHaveLength(1);
  });

  it('keeps a count it could not flush for the next flush', async () => {
    const audit = fakeAudit();
    const c = clock();
    const rec = createRefusalRecorder(audit, c.now);
    await rec.record('u1', 'r', denied('u1'));
    await rec.record('u1', 'r', denied('u1'));
    await rec.record('u1', 'r', denied('u1'));
    c.advance(61_000);
    audit.fail(true);
    await expect(rec.flushDue()).rejects.toThrow(/disk full/);
    audit.fail(false);
    await rec.flushDue();
    expect(audit.appended.at(-1)).toMatchObject({ eventType: REFUSAL_REPEATED, details: { count: 2 } });
  });

  it('collapses a spray of distinct identities into one overflow count per reason', async () => {
    const audit = fakeAudit();
    const rec = createRefusalRecorder(audit, clock().now, { maxKeys: 3 });
    for (let i = 0; i < 100; i++) await rec.record(`ip:10.0.0.${i}`, 'http.401', denied(`ip:10.0.0.${i}`));
    expect(audit.appended).toHaveLength(3);
    expect(rec.size()).toBe(4);
    await rec.flush();
    expect(audit.appended.at(-1)).toMatchObject({ eventType: REFUSAL_REPEATED, actor: { kind: 'system' }, details: { identity: '*many-identities*', count: 97 } });
  });

  it('routes refused sign-ins through the recorder and everything else straight through', async () => {
    const audit = fakeAudit();
    const rec = createRefusalRecorder(audit, clock().now);
    const sink = collapsingAudit(audit, rec);
    const refused: AuditInput = { actor: { kind: 'user', id: 'p1' }, eventType: 'signin.refused', outcome: 'denied', details: { reason: 'personal_account' } };
    for (let i = 0; i < 5; i++) await sink.append(refused);
    await sink.append({ actor: { kind: 'user', id: 'p1' }, eventType: 'signin.completed' });
    await sink.append({ actor: { kind: 'user', id: 'p1' }, eventType: 'signin.completed' });
    expect(audit.appended.map((a) => a.eventType)).toEqual(['signin.refused', 'signin.completed', 'signin.completed']);
    await rec.flush();
    expect(audit.appended.at(-1)).toMatchObject({ details: { reason: 'signin.refused:personal_account', count: 4 } });
  });

  it('collapses guardrail refusals of submissions per agent, rule and action', async () => {
    const audit = fakeAudit();
    const rec = createRefusalRecorder(audit, clock().now);
    const sink = collapsingAudit(audit, rec);
    const forbidden = (action: string): AuditInput => ({
      actor: { kind: 'agent', id: 'agent-1' },
      eventType: 'operation.forbidden',
      agentId: 'agent-1',
      action,
      outcome: 'forbidden',
      details: { decision: { guardrail: { rule: 'no-authorization-writes' } } },
    });
    for (let i = 0; i < 50; i++) await sink.append(forbidden('Microsoft.Authorization/roleAssignments/write'));
    await sink.append(forbidden('Microsoft.Authorization/locks/write'));
    await sink.append({ actor: { kind: 'agent', id: 'agent-1' }, eventType: 'operation.requested', details: {} });
    expect(audit.appended.map((a) => [a.eventType, a.action ?? null])).toEqual([
      ['operation.forbidden', 'Microsoft.Authorization/roleAssignments/write'],
      ['operation.forbidden', 'Microsoft.Authorization/locks/write'],
      ['operation.requested', null],
    ]);
    await rec.flush();
    expect(audit.appended.at(-1)).toMatchObject({
      eventType: REFUSAL_REPEATED,
      agentId: 'agent-1',
      action: 'Microsoft.Authorization/roleAssignments/write',
      details: { count: 49, repeatedEventType: 'operation.forbidden', reason: 'operation.forbidden:no-authorization-writes Microsoft.Authorization/roleAssignments/write' },
    });
  });
});
