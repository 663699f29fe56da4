/**
 * The dispatcher with several instances: only the leader of the notification-dispatcher lease
 * reads and claims the outbox; the others look again on their idle timer, and take over then.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createNotificationDispatcher, type NotificationDispatcher } from '../../src/notifications/notification-dispatcher.ts';
import type { OutboxStore } from '../../src/notifications/outbox-store.ts';
import type { SingletonLeases } from '../../src/store/singleton-leases.ts';

let dispatcher: NotificationDispatcher | undefined;
afterEach(async () => {
  await dispatcher?.stop();
  dispatcher = undefined;
});

/** An empty outbox that records what the dispatcher asked of it. */
function emptyOutbox() {
  const calls: string[] = [];
  const outbox = {
    due: async () => (calls.push('due'), []),
    nextDueAt: async () => (calls.push('nextDueAt'), undefined),
    release: async (id: string) => (calls.push(`release ${id}`), 0),
  } as unknown as OutboxStore;
  return { outbox, calls };
}

async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('notification dispatcher and its lease', () => {
  it('reads nothing while another instance leads, and delivers once it holds the lease', async () => {
    const { outbox, calls } = emptyOutbox();
    let leader = false;
    let tries = 0;
    const leases: SingletonLeases = {
      runIfLeader: async (job, tick) => {
        expect(job).toBe('notification-dispatcher');
        tries += 1;
        return leader ? { ran: true, value: await tick() } : { ran: false };
      },
      holds: () => leader,
      close: async () => undefined,
    };
    dispatcher = createNotificationDispatcher({ outbox, senders: new Map(), audit: { append: async () => undefined }, retry: { baseDelayMs: 10, maxDelayMs: 10, maxAttempts: 1 }, baseUrl: 'https://elevate.example', leaseMs: 1000, idleMs: 5, leases });
    dispatcher.start();
    dispatcher.wake('r-1');
    await eventually(() => tries >= 3);
    // Not the leader: no outbox read, and the hold release is the leader's to make.
    expect(calls).toEqual([]);
    leader = true;
    await eventually(() => calls.includes('due'));
    dispatcher.wake('r-2');
    await eventually(() => calls.includes('release r-2'));
    expect(calls).not.toContain('release r-1');
  });
});
