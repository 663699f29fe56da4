/**
 * The execution lease an instance holds while it runs an operation (issue 16), without a database:
 * a fake store answers the renewals, fake timers move time (the lease's monotonic clock is
 * Date.now under them, which vitest's fake timers move too).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createExecutionLeases, ExecutionLeaseLostError, type ExecutionLeaseStore } from '../../src/operations/execution-lease.ts';

const LEASE = 600; // renewed every 200 ms; given up 100 ms before it could run out

function fakeStore(answer: () => Promise<boolean>) {
  const calls = { renew: 0, release: 0 };
  const store: ExecutionLeaseStore = {
    renewExecutionLease: () => ((calls.renew += 1), answer()),
    releaseExecutionLease: async () => void (calls.release += 1),
  };
  return { store, calls };
}

const leasesOn = (store: ExecutionLeaseStore) => createExecutionLeases({ store, instanceId: 'me', leaseMs: LEASE, monotonic: () => Date.now() });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('execution lease', () => {
  it('is kept for as long as the renewals get through', async () => {
    const { store, calls } = fakeStore(async () => true);
    const hold = leasesOn(store).hold('r-1', Date.now());
    await vi.advanceTimersByTimeAsync(LEASE * 10);
    expect(hold.signal.aborted).toBe(false);
    expect(calls.renew).toBe(30);
    await hold.end();
    await vi.advanceTimersByTimeAsync(LEASE * 2);
    expect(calls.renew).toBe(30);
  });

  it('is given up before it can run out when no renewal gets through', async () => {
    const { store } = fakeStore(() => Promise.reject(new Error('connection terminated')));
    const grantedAt = Date.now();
    const hold = leasesOn(store).hold('r-2', grantedAt);
    await vi.advanceTimersByTimeAsync(LEASE - LEASE / 6 - 1);
    expect(hold.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(hold.signal.aborted).toBe(true);
    expect(hold.signal.reason).toBeInstanceOf(ExecutionLeaseLostError);
    expect(Date.now() - grantedAt).toBeLessThan(LEASE);
  });

  it('counts from the last renewal that got through, from when it was sent', async () => {
    let up = true;
    const { store } = fakeStore(async () => {
      if (!up) throw new Error('connection terminated');
      return true;
    });
    const hold = leasesOn(store).hold('r-3', Date.now());
    await vi.advanceTimersByTimeAsync(1000); // renewals at 200 … 1000 got through
    up = false;
    await vi.advanceTimersByTimeAsync(LEASE - LEASE / 6 - 1);
    expect(hold.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(hold.signal.aborted).toBe(true);
  });

  it('a renewal that hangs does not keep it: it still ends when it would run out', async () => {
    const { store, calls } = fakeStore(() => new Promise<boolean>(() => undefined));
    const hold = leasesOn(store).hold('r-4', Date.now());
    await vi.advanceTimersByTimeAsync(LEASE);
    expect(hold.signal.aborted).toBe(true);
    // one renewal in flight at a time
    expect(calls.renew).toBe(1);
  });

  it('ends at once when a renewal finds the execution taken over, and is then not handed back', async () => {
    let mine = true;
    const { store, calls } = fakeStore(async () => mine);
    const hold = leasesOn(store).hold('r-5', Date.now());
    await vi.advanceTimersByTimeAsync(250);
    expect(hold.signal.aborted).toBe(false);
    mine = false;
    await vi.advanceTimersByTimeAsync(200);
    expect(hold.signal.aborted).toBe(true);
    expect((hold.signal.reason as Error).message).toContain('another instance took it over');
    await hold.end({ handBack: true });
    expect(calls.release).toBe(0);
  });

  it('is handed back only when asked', async () => {
    const { store, calls } = fakeStore(async () => true);
    const leases = leasesOn(store);
    await leases.hold('r-6', Date.now()).end();
    expect(calls.release).toBe(0);
    await leases.hold('r-7', Date.now()).end({ handBack: true });
    expect(calls.release).toBe(1);
  });

  it('is already lost when it was written too long ago', () => {
    const { store } = fakeStore(async () => true);
    const hold = leasesOn(store).hold('r-8', Date.now() - LEASE);
    expect(hold.signal.aborted).toBe(true);
  });
});
