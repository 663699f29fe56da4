/**
 * The change bus across instances through LISTEN/NOTIFY (adapter-specific): two buses on the run's
 * throwaway cluster stand for two instances; each sends through its own store.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeSubscriber } from '../../src/store/change-bus.ts';
import type { Database } from '../../src/store/database.ts';
import { createPostgresChangeBus, type PostgresChangeBus } from '../../src/store/postgres-change-bus.ts';
import { openPostgresCoordination, type Coordination } from '../../src/store/postgres-coordination.ts';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';

let testDb: TestDatabase;
let admin: pg.Client;
let store: Database;
const closing: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  testDb = await createTestDatabase('elevate_pg_bus');
  admin = new pg.Client({ connectionString: testDb.url });
  await admin.connect();
  store = await openPostgresDatabase(testDb.url, { poolSize: 2 });
});
afterEach(async () => {
  await Promise.all(closing.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await store?.close();
  await admin?.end();
  await testDb?.drop();
});

/** One "instance"'s bus, its listening session named so that a test can find and kill it. */
function bus(name: string): PostgresChangeBus {
  const b = createPostgresChangeBus({
    newClient: () => new pg.Client({ connectionString: testDb.url, application_name: name, query_timeout: 5000 }),
    notify: async (channel, payload) => {
      await store.get('SELECT pg_notify(?, ?) AS sent', [channel, payload]);
    },
    reconnectMs: 20,
    maxReconnectMs: 100,
  });
  closing.push(b);
  return b;
}

function recorder(): { seen: string[]; resyncs: () => number; subscriber: ChangeSubscriber } {
  const seen: string[] = [];
  let resyncs = 0;
  return { seen, resyncs: () => resyncs, subscriber: { changed: (id) => seen.push(id), resync: () => void (resyncs += 1) } };
}

async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

/** Publishes until B has heard it: B's LISTEN is in place some time after it subscribes. */
async function publishUntilHeard(from: PostgresChangeBus, channel: string, id: string, seen: string[]): Promise<void> {
  await eventually(async () => {
    await from.publish(channel, id);
    await new Promise((r) => setTimeout(r, 20));
    return seen.includes(id);
  });
}

async function terminate(applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [testDb.name, applicationName]);
  return rows.filter((r) => r.ok).length;
}

describe('PostgreSQL change bus', () => {
  it("carries a publish on instance A to B's subscribers of that channel, and A's own subscribers hear it once, at once", async () => {
    const a = bus('bus-a1');
    const b = bus('bus-b1');
    const onA = recorder();
    const onB = recorder();
    const otherChannel = recorder();
    a.subscribe('elevate_requests', onA.subscriber);
    b.subscribe('elevate_requests', onB.subscriber);
    b.subscribe('elevate_incidents', otherChannel.subscriber);
    await publishUntilHeard(a, 'elevate_requests', 'warm-up', onB.seen);

    const sent = a.publish('elevate_requests', '11111111-2222-4333-8444-555555555555');
    expect(onA.seen.filter((id) => id === '11111111-2222-4333-8444-555555555555')).toHaveLength(1);
    await sent;
    await eventually(() => onB.seen.includes('11111111-2222-4333-8444-555555555555'));
    // A ignores the echo of its own message from the database: still exactly once.
    await publishUntilHeard(b, 'elevate_requests', 'from-b', onA.seen);
    expect(onA.seen.filter((id) => id === '11111111-2222-4333-8444-555555555555')).toHaveLength(1);
    expect(otherChannel.seen).toEqual([]);
  });

  it('after its listening connection dies, reconnects, tells its subscribers to resync, and hears again', async () => {
    const a = bus('bus-a2');
    const b = bus('bus-b2');
    const onB = recorder();
    b.subscribe('elevate_requests', onB.subscriber);
    await publishUntilHeard(a, 'elevate_requests', 'before', onB.seen);
    const resyncsBefore = onB.resyncs();

    expect(await terminate('bus-b2')).toBe(1);
    await eventually(() => onB.resyncs() > resyncsBefore);
    await publishUntilHeard(a, 'elevate_requests', 'after', onB.seen);
  });

  it('ignores notifications that are not an instance and a plain id, whoever sends them', async () => {
    const b = bus('bus-b3');
    const a = bus('bus-a3');
    const onB = recorder();
    b.subscribe('elevate_requests', onB.subscriber);
    await publishUntilHeard(a, 'elevate_requests', 'ready', onB.seen);
    for (const payload of ['no-slash', 'x/two words', 'x/', `x/${'a'.repeat(200)}`]) await admin.query('SELECT pg_notify($1, $2)', ['elevate_requests', payload]);
    await publishUntilHeard(a, 'elevate_requests', 'last', onB.seen);
    expect(onB.seen.filter((id) => id !== 'ready' && id !== 'last')).toEqual([]);
  });

  it('openPostgresCoordination: leases and a bus on dedicated sessions, notifications sent through the store', async () => {
    const one: Coordination = openPostgresCoordination(testDb.url, { db: store, leaseRetryMs: 50 });
    const two: Coordination = openPostgresCoordination(testDb.url, { db: store, leaseRetryMs: 50 });
    closing.push(one, two);
    const heard = recorder();
    two.changes.subscribe('elevate_requests', heard.subscriber);
    await publishUntilHeard(one.changes, 'elevate_requests', 'req-1', heard.seen);
    const runs = await Promise.all([one.leases.runIfLeader('expiry-sweeper', async () => 1), two.leases.runIfLeader('expiry-sweeper', async () => 2)]);
    expect(runs.filter((r) => r.ran)).toHaveLength(1);
    const { rows } = await admin.query<{ application_name: string }>('SELECT application_name FROM pg_stat_activity WHERE datname = $1 ORDER BY 1', [testDb.name]);
    expect(rows.map((r) => r.application_name)).toEqual(expect.arrayContaining(['elevate change-bus', 'elevate leases']));
  });
});
