/**
 * Long-poll wake-ups across two instances on PostgreSQL (adapter-specific): a waiter parked on
 * instance B wakes when instance A notifies, through LISTEN/NOTIFY, not polling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestNotifier } from '../../src/operations/request-notifier.ts';
import type { Database } from '../../src/store/database.ts';
import { openPostgresCoordination, type Coordination } from '../../src/store/postgres-coordination.ts';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';

let testDb: TestDatabase;
let storeA: Database;
let storeB: Database;
let instanceA: Coordination;
let instanceB: Coordination;

beforeAll(async () => {
  testDb = await createTestDatabase('elevate_pg_notifier');
  storeA = await openPostgresDatabase(testDb.url, { poolSize: 2 });
  storeB = await openPostgresDatabase(testDb.url, { poolSize: 2 });
  instanceA = openPostgresCoordination(testDb.url, { db: storeA });
  instanceB = openPostgresCoordination(testDb.url, { db: storeB });
});
afterAll(async () => {
  await instanceA?.close();
  await instanceB?.close();
  await storeA?.close();
  await storeB?.close();
  await testDb?.drop();
});

describe('request notifier on PostgreSQL', () => {
  it("wakes a long-poll on instance B and B's live-list listener when instance A records a change", async () => {
    const a = createRequestNotifier({ maxWaiters: 10, changes: instanceA.changes });
    const b = createRequestNotifier({ maxWaiters: 10, changes: instanceB.changes });
    const heard: Array<string | undefined> = [];
    b.subscribe((id) => heard.push(id));
    // B's LISTEN is in place some time after it subscribes (and it resyncs then): notify until B hears.
    const id = '0f0e0d0c-0b0a-4908-8706-050403020100';
    let woke = false;
    while (!woke) {
      const waiting = b.wait(id, 200)!;
      a.notify(id);
      woke = (await waiting) && heard.includes(id);
    }
    expect(heard).toContain(id);
    a.close();
    b.close();
  });
});
