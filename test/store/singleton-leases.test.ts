import { describe, expect, it } from 'vitest';
import { createInProcessLeases, leaderOnly, type SingletonLeases } from '../../src/store/singleton-leases.ts';

describe('singleton leases, one instance', () => {
  it('is always the leader: every tick runs', async () => {
    const leases = createInProcessLeases();
    expect(await leases.runIfLeader('expiry-sweeper', async () => 7)).toEqual({ ran: true, value: 7 });
    expect(leases.holds('notification-dispatcher')).toBe(true);
    await leases.close();
  });

  it('leaderOnly runs the tick on the leader and answers `otherwise` elsewhere', async () => {
    const never: SingletonLeases = { runIfLeader: async () => ({ ran: false }), holds: () => false, close: async () => undefined };
    let calls = 0;
    const tick = async () => ++calls;
    expect(await leaderOnly(never, 'expiry-sweeper', tick, 0)()).toBe(0);
    expect(calls).toBe(0);
    expect(await leaderOnly(createInProcessLeases(), 'expiry-sweeper', tick, 0)()).toBe(1);
    expect(await leaderOnly(undefined, 'expiry-sweeper', tick, 0)()).toBe(2);
  });
});
