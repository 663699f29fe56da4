import { describe, expect, it } from 'vitest';
import { createRequestNotifier } from '../../src/operations/request-notifier.ts';

describe('request notifier', () => {
  it('wakes every waiter of a request on notify, and only them', async () => {
    const n = createRequestNotifier({ maxWaiters: 10 });
    const a1 = n.wait('a', 10_000)!;
    const a2 = n.wait('a', 10_000)!;
    const b = n.wait('b', 30)!;
    expect(n.size()).toBe(3);
    n.notify('a');
    expect(await a1).toBe(true);
    expect(await a2).toBe(true);
    expect(await b).toBe(false);
    expect(n.size()).toBe(0);
    n.notify('nobody');
  });

  it('bounds the number of parked waiters', async () => {
    const n = createRequestNotifier({ maxWaiters: 2 });
    const w1 = n.wait('a', 10_000);
    const w2 = n.wait('b', 10_000);
    expect(n.wait('c', 10_000)).toBeUndefined();
    n.close();
    expect(await w1).toBe(false);
    expect(await w2).toBe(false);
    expect(n.wait('c', 10)).toBeDefined();
  });

  it('stops waiting when the caller goes away', async () => {
    const n = createRequestNotifier({ maxWaiters: 5 });
    const controller = new AbortController();
    const w = n.wait('a', 10_000, controller.signal)!;
    controller.abort();
    expect(await w).toBe(false);
    expect(n.size()).toBe(0);
    expect(await n.wait('a', 10_000, controller.signal)).toBe(false);
  });
});
