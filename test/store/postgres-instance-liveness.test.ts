/**
 * Instance liveness on PostgreSQL (adapter-specific): each "instance" holds its advisory lock on
 * its own session of the run's throwaway cluster; the others see it alive while that session
 * lives and gone once it ends.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instanceLivenessKey } from '../../src/store/advisory-lock-keys.ts';
import { createPostgresLiveness, type PostgresLiveness } from '../../src/store/postgres-instance-liveness.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';

let testDb: TestDatabase;
let admin: pg.Client;
const open: PostgresLiveness[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase('elevate_pg_liveness');
  admin = new pg.Client({ connectionString: testDb.url });
  await admin.connect();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});
afterAll(async () => {
  await admin?.end();
  await testDb?.drop();
});

/** One "instance", its lock held on a session named so a test can find and kill it. */
async function instance(name: string, url = testDb.url, retryMs = 50): Promise<PostgresLiveness> {
  const liveness = createPostgresLiveness({ id: randomUUID(), newClient: () => new pg.Client({ connectionString: url, application_name: name, query_timeout: 5000 }), retryMs });
  open.push(liveness);
  return liveness;
}

/** Polls `check` until it holds (bounded by the test's timeout); asserts no timing. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

describe('PostgreSQL instance liveness', () => {
  it('two instances on one database each see the other alive; once one closes, the other sees it gone', async () => {
    const a = await instance('liveness-a1');
    const b = await instance('liveness-b1');
    expect(await a.hold()).toBe(true);
    expect(await b.hold()).toBe(true);
    expect(await a.isAlive(b.id)).toBe(true);
    expect(await b.isAlive(a.id)).toBe(true);
    expect(await a.isAlive(a.id)).toBe(true);
    // An instance that never ran is not alive.
    expect(await a.isAlive(randomUUID())).toBe(false);

    await b.close();
    expect(await a.isAlive(b.id)).toBe(false);
    // The check gave the key back at once: still free, and nothing of it is held.
    expect(await a.isAlive(b.id)).toBe(false);
    const { rows } = await admin.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = $1)", [testDb.name]);
    // only a's own lock
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it("sees an instance whose session was killed as gone, and alive again once it has taken its lock back", async () => {
    // a checks its own session seldom, so b has time to see the gap before a takes its lock back.
    const a = await instance('liveness-a2', testDb.url, 1000);
    const b = await instance('liveness-b2');
    expect(await a.hold()).toBe(true);
    expect(await b.hold()).toBe(true);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [testDb.name, 'liveness-a2']);
    await eventually(async () => !(await b.isAlive(a.id)));
    // a's own check reopens its session and takes its lock again.
    await eventually(async () => b.isAlive(a.id));
  });

  it('answers "alive" when it cannot check (fail safe: a reconciler then skips the row)', async () => {
    const url = new URL(testDb.url);
    url.port = '1';
    const cut = await instance('liveness-cut', url.toString());
    expect(await cut.hold()).toBe(false);
    expect(await cut.isAlive(randomUUID())).toBe(true);
  });

  it('derives one single-bigint key per instance id', () => {
    const id = randomUUID();
    expect(instanceLivenessKey(id)).toBe(instanceLivenessKey(id));
    expect(instanceLivenessKey(id)).not.toBe(instanceLivenessKey(randomUUID()));
    const key = BigInt(instanceLivenessKey(id));
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
  });
});
