/**
 * Singleton-job leases on PostgreSQL (adapter-specific): session advisory locks on the run's
 * throwaway cluster, two lease managers standing for two instances.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADVISORY_LOCK_NAMESPACE, SINGLETON_JOB_LOCK_IDS } from '../../src/store/advisory-lock-keys.ts';
import { createPostgresLeases } from '../../src/store/postgres-singleton-leases.ts';
import type { SingletonLeases } from '../../src/store/singleton-leases.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';

let testDb: TestDatabase;
let admin: pg.Client;
const open: SingletonLeases[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase('elevate_pg_leases');
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

/** One "instance": its leases on their own session, named so a test can find and kill it. */
function instance(name: string, url = testDb.url): SingletonLeases {
  const leases = createPostgresLeases({ newClient: () => new pg.Client({ connectionString: url, application_name: name, query_timeout: 5000 }), retryMs: 50 });
  open.push(leases);
  return leases;
}

/** Polls `check` until it holds (bounded by the test's timeout); asserts no timing. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

async function terminate(applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [testDb.name, applicationName]);
  return rows.filter((r) => r.ok).length;
}

describe('PostgreSQL singleton-job leases', () => {
  it('gives one job to one instance: of two racing for it, one runs its tick and the other does not', async () => {
    const a = instance('leases-a1');
    const b = instance('leases-b1');
    const [ra, rb] = await Promise.all([a.runIfLeader('expiry-sweeper', async () => 'a'), b.runIfLeader('expiry-sweeper', async () => 'b')]);
    expect([ra.ran, rb.ran].filter(Boolean)).toHaveLength(1);
    const leader = ra.ran ? a : b;
    const other = ra.ran ? b : a;
    expect(leader.holds('expiry-sweeper')).toBe(true);
    expect(other.holds('expiry-sweeper')).toBe(false);
    // Later ticks stay with the leader.
    for (let i = 0; i < 5; i++) {
      expect((await leader.runIfLeader('expiry-sweeper', async () => i)).ran).toBe(true);
      expect((await other.runIfLeader('expiry-sweeper', async () => i)).ran).toBe(false);
    }
    // The lock is the job's key in Elevate's namespace, held by the leader's session.
    const { rows } = await admin.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.granted AND a.datname = $3",
      [ADVISORY_LOCK_NAMESPACE, SINGLETON_JOB_LOCK_IDS['expiry-sweeper'], testDb.name],
    );
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it('keeps jobs apart: each has its own lease', async () => {
    const a = instance('leases-a2');
    const b = instance('leases-b2');
    expect((await a.runIfLeader('audit-checkpointer', async () => 1)).ran).toBe(true);
    expect((await b.runIfLeader('audit-retention', async () => 1)).ran).toBe(true);
    expect((await b.runIfLeader('audit-checkpointer', async () => 1)).ran).toBe(false);
    expect((await a.runIfLeader('audit-retention', async () => 1)).ran).toBe(false);
  });

  it('hands the job over when the leader dies: its backend is terminated, the other instance takes over', async () => {
    const a = instance('leases-a3');
    const b = instance('leases-b3');
    expect((await a.runIfLeader('execution-reconciler', async () => 1)).ran).toBe(true);
    expect((await b.runIfLeader('execution-reconciler', async () => 1)).ran).toBe(false);
    expect(await terminate('leases-a3')).toBe(1);
    await eventually(async () => (await b.runIfLeader('execution-reconciler', async () => 1)).ran);
    expect(b.holds('execution-reconciler')).toBe(true);
    // The old leader runs no tick now: it has lost its session, and its next try finds the lease taken.
    expect((await a.runIfLeader('execution-reconciler', async () => 1)).ran).toBe(false);
    expect(a.holds('execution-reconciler')).toBe(false);
  });

  it('takes over in the background (every retryMs) once the leader closes, without waiting for a tick', async () => {
    const a = instance('leases-a4');
    const b = instance('leases-b4');
    expect((await a.runIfLeader('notification-dispatcher', async () => 1)).ran).toBe(true);
    expect((await b.runIfLeader('notification-dispatcher', async () => 1)).ran).toBe(false);
    await a.close();
    await eventually(async () => b.holds('notification-dispatcher'));
  });

  it('never runs two ticks of a job at once across instances, however their ticks race', async () => {
    const a = instance('leases-a5');
    const b = instance('leases-b5');
    let running = 0;
    let most = 0;
    let ran = 0;
    const tick = async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setImmediate(r));
      running -= 1;
      ran += 1;
    };
    for (let round = 0; round < 10; round++) {
      await Promise.all([a.runIfLeader('inventory-refresh', tick), b.runIfLeader('inventory-refresh', tick), a.runIfLeader('inventory-refresh', tick), b.runIfLeader('inventory-refresh', tick)]);
      // Midway the leader dies: still never two at once, and the job keeps running somewhere.
      if (round === 4) await terminate(a.holds('inventory-refresh') ? 'leases-a5' : 'leases-b5');
    }
    expect(most).toBe(1);
    expect(ran).toBeGreaterThan(0);
    expect([a.holds('inventory-refresh'), b.holds('inventory-refresh')].filter(Boolean).length).toBeLessThanOrEqual(1);
  });

  it('fails closed: an instance that cannot reach the database runs no tick', async () => {
    const url = new URL(testDb.url);
    url.port = '1';
    const lost = instance('leases-unreachable', url.toString());
    let ran = false;
    expect(
      await lost.runIfLeader('raise-sweeper', async () => {
        ran = true;
      }),
    ).toEqual({ ran: false });
    expect(ran).toBe(false);
  });

  it('a tick that throws rejects to its caller and keeps the lease', async () => {
    const a = instance('leases-a7');
    await expect(a.runIfLeader('token-reconciler', async () => Promise.reject(new Error('pass failed')))).rejects.toThrow('pass failed');
    expect((await a.runIfLeader('token-reconciler', async () => 2)).ran).toBe(true);
  });
});
