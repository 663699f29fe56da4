import { describe, expect, it } from 'vitest';
import { applyRaiseEvent, canApply, holdsGrants, isDue, retryDelayMs, type RaiseEvent } from '../../src/raises/raise-state-machine.ts';
import { RaiseConflictError, type LevelRaise, type RaiseGrant } from '../../src/raises/raise-types.ts';

const T0 = '2026-01-01T10:00:00.000Z';
const raise = (over: Partial<LevelRaise> = {}): LevelRaise => ({
  id: 'r1',
  agentId: 'a1',
  principalId: 'p1',
  resourceGroupIds: ['/subscriptions/s/resourceGroups/rg'],
  targetLevel: 'Privileged',
  durationMinutes: 120,
  justification: 'incident',
  requestedBy: { kind: 'agent', id: 'a1', name: 'sre-agent' },
  triggerRef: null,
  state: 'pending',
  mode: null,
  modeReason: null,
  approvals: [],
  grants: [],
  createdAt: T0,
  pendingUntil: '2026-01-01T11:00:00.000Z',
  startsAt: null,
  endsAt: null,
  endReason: null,
  endedAt: null,
  verifiedAt: null,
  revokeAttempts: 0,
  nextAttemptAt: null,
  lastError: null,
  version: 0,
  ...over,
});
const grant: RaiseGrant = { roleName: 'Container Apps Contributor', roleGuid: 'g', roleDefinitionId: '/x/g', scope: '/subscriptions/s/resourceGroups/rg', name: 'n', status: 'granted' };
const approval = { approverId: 'u1', approverName: 'ann', at: T0, reason: null };

describe('raise state machine', () => {
  it('starts the window at approval, not at the request', () => {
    const at = '2026-01-01T10:30:00.000Z';
    const next = applyRaiseEvent(raise(), { type: 'approve', approval, enough: true, at });
    expect(next).toMatchObject({ state: 'granting', startsAt: at, endsAt: '2026-01-01T12:30:00.000Z', approvals: [approval] });
  });

  it('stays pending until enough approvals', () => {
    const next = applyRaiseEvent(raise(), { type: 'approve', approval, enough: false, at: T0 });
    expect(next).toMatchObject({ state: 'pending', startsAt: null, endsAt: null });
    expect(next.approvals).toHaveLength(1);
  });

  it('goes granting -> active -> revoking -> ended, and records why it ended', () => {
    let r = applyRaiseEvent(raise(), { type: 'approve', approval, enough: true, at: T0 });
    r = applyRaiseEvent(r, { type: 'granted', mode: 'pim', modeReason: 'PIM', grants: [grant], at: T0 });
    expect(r).toMatchObject({ state: 'active', mode: 'pim', grants: [grant] });
    r = applyRaiseEvent(r, { type: 'end', reason: 'handed-back', at: '2026-01-01T10:05:00.000Z' });
    expect(r).toMatchObject({ state: 'revoking', endReason: 'handed-back', endedAt: '2026-01-01T10:05:00.000Z' });
    r = applyRaiseEvent(r, { type: 'revoke-failed', grants: [grant], error: 'ARM 500', retryAt: '2026-01-01T10:05:05.000Z' });
    expect(r).toMatchObject({ state: 'revoking', revokeAttempts: 1, lastError: 'ARM 500', nextAttemptAt: '2026-01-01T10:05:05.000Z' });
    r = applyRaiseEvent(r, { type: 'verified-gone', grants: [{ ...grant, status: 'removed' }], at: '2026-01-01T10:05:06.000Z' });
    expect(r).toMatchObject({ state: 'ended', verifiedAt: '2026-01-01T10:05:06.000Z', lastError: null, revokeAttempts: 2 });
  });

  it('sends a failed grant straight to revoking, so whatever was made is removed', () => {
    const r = applyRaiseEvent(raise({ state: 'granting' }), { type: 'grant-failed', mode: 'pim', modeReason: 'PIM', grants: [grant], error: 'ExpirationRule', at: T0 });
    expect(r).toMatchObject({ state: 'revoking', endReason: 'grant-failed', lastError: 'ExpirationRule', nextAttemptAt: T0 });
  });

  it('refuses events that do not apply in the current state, without changing the raise', () => {
    const ended = raise({ state: 'ended' });
    const events: RaiseEvent[] = [
      { type: 'approve', approval, enough: true, at: T0 },
      { type: 'end', reason: 'ended-by-admin', at: T0 },
      { type: 'deny', at: T0 },
      { type: 'granted', mode: 'pim', modeReason: '', grants: [], at: T0 },
    ];
    for (const e of events) {
      expect(() => applyRaiseEvent(ended, e)).toThrow(RaiseConflictError);
    }
    expect(canApply(raise({ state: 'denied' }), 'approve')).toBe(false);
    expect(canApply(raise({ state: 'active' }), 'deny')).toBe(false);
    expect(ended.state).toBe('ended');
  });

  it('is due at the end of the window, and holds grants only before it', () => {
    const active = raise({ state: 'active', endsAt: '2026-01-01T12:00:00.000Z' });
    expect(isDue(active, new Date('2026-01-01T11:59:59.999Z'))).toBe(false);
    expect(isDue(active, new Date('2026-01-01T12:00:00.000Z'))).toBe(true);
    expect(holdsGrants(active, new Date('2026-01-01T11:59:59.999Z'))).toBe(true);
    expect(holdsGrants(active, new Date('2026-01-01T12:00:00.000Z'))).toBe(false);
    expect(holdsGrants({ ...active, state: 'revoking' }, new Date('2026-01-01T11:00:00.000Z'))).toBe(false);
  });

  it('backs off revoke retries up to five minutes, for ever', () => {
    expect(retryDelayMs(0)).toBe(5_000);
    expect(retryDelayMs(1)).toBe(10_000);
    expect(retryDelayMs(6)).toBe(300_000);
    expect(retryDelayMs(10_000)).toBe(300_000);
  });
});
