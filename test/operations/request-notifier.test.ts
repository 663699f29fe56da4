import { describe, expect, it } from 'vitest';
import { createRequestNotifier } from '../../src/operations/request-notifier.ts';
import { createInProcessChangeBus, type ChangeBus, type ChangeSubscriber } from '../../src/store/change-bus.ts';

/** A bus whose other instances are the test: it can deliver a change from elsewhere, or a resync. */
function scriptedBus() {
  const subs = new Set<ChangeSubscriber>();
  const published: string[] = [];
  const bus: ChangeBus = {
    async publish(_channel, id) {
      published.push(id);
      for (const s of subs) s.changed(id);
    },
    subscribe(_channel, s) {
      subs.add(s);
      return () => void subs.delete(s);
    },
    close: async () => undefined,
  };
  return { bus, published, fromElsewhere: (id: string) => subs.forEach((s) => s.changed(id)), resync: () => subs.forEach((s) => s.resync()), subscribers: () => subs.size };
}

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

  it("wakes another instance's waiters and listeners through the change bus", async () => {
    const shared = createInProcessChangeBus();
    const a = createRequestNotifier({ maxWaiters: 10, changes: shared });
    const b = createRequestNotifier({ maxWaiters: 10, changes: shared });
    const heard: Array<string | undefined> = [];
    b.subscribe((id) => heard.push(id));
    const waiting = b.wait('r-1', 10_000)!;
    a.notify('r-1');
    expect(await waiting).toBe(true);
    expect(heard).toEqual(['r-1']);
  });

  it('publishes each notify once, and hears changes from elsewhere', async () => {
    const s = scriptedBus();
    const n = createRequestNotifier({ maxWaiters: 10, changes: s.bus });
    const heard: Array<string | undefined> = [];
    n.subscribe((id) => heard.push(id));
    n.notify('r-1');
    expect(s.published).toEqual(['r-1']);
    const waiting = n.wait('r-2', 10_000)!;
    s.fromElsewhere('r-2');
    expect(await waiting).toBe(true);
    expect(heard).toEqual(['r-1', 'r-2']);
  });

  it('after the bus may have missed changes, wakes every waiter and tells listeners with no id (re-check everything)', async () => {
    const s = scriptedBus();
    const n = createRequestNotifier({ maxWaiters: 10, changes: s.bus });
    const heard: Array<string | undefined> = [];
    n.subscribe((id) => heard.push(id));
    const w1 = n.wait('r-1', 10_000)!;
    const w2 = n.wait('r-2', 10_000)!;
    s.resync();
    expect(await w1).toBe(true);
    expect(await w2).toBe(true);
    expect(heard).toEqual([undefined]);
    expect(n.size()).toBe(0);
  });

  it('still wakes its own waiters for an id the bus does not carry, without sharing it', async () => {
    const s = scriptedBus();
    const n = createRequestNotifier({ maxWaiters: 10, changes: s.bus });
    const odd = 'not a plain id';
    const waiting = n.wait(odd, 10_000)!;
    n.notify(odd);
    expect(await waiting).toBe(true);
    expect(s.published).toEqual([]);
  });

  it('leaves the bus on close', () => {
    const s = scriptedBus();
    const n = createRequestNotifier({ maxWaiters: 10, changes: s.bus });
    expect(s.subscribers()).toBe(1);
    n.close();
    expect(s.subscribers()).toBe(0);
  });
});
