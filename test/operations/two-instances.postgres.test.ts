/**
 * Two Elevate instances on one PostgreSQL database (issue 16; adapter-specific: PostgreSQL):
 * each is a whole operations module with its own connection pool and its own liveness lock, as
 * two replicas behind a load balancer are. Approvals and executions race across both; exactly one
 * approval wins per request, each approved request reaches ARM once, the audit chain both wrote
 * verifies, and one instance's reconciler leaves alone what the other is running until it dies.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { createPostgresLiveness, type PostgresLiveness } from '../../src/store/postgres-instance-liveness.ts';
import { migratePostgres } from '../../src/store/postgres-migrations.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { makeAgent, PRIVILEGED_PRINCIPAL, RESTART } from './support/operation-fixtures.ts';
import { auditEntries, createHarness, type Harness } from './support/operations-harness.ts';

const agent = makeAgent({ id: 'agent-priv', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });
const POLL = 'https://arm.test.invalid/subscriptions/s/providers/Microsoft.App/locations/x/containerappOperationStatuses/op-2?api-version=2024-03-01';
const restart = (key: string) => ({ method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'restart', trigger: { kind: 'chat' }, idempotencyKey: key });

let database: TestDatabase;
let a: Harness;
let b: Harness;
const livenesses: PostgresLiveness[] = [];

/** An instance's liveness lock, held on its own session before it writes anything. */
async function holdLiveness(): Promise<PostgresLiveness> {
  const liveness = createPostgresLiveness({ id: randomUUID(), newClient: () => new pg.Client({ connectionString: database.url, query_timeout: 5000 }) });
  livenesses.push(liveness);
  expect(await liveness.hold()).toBe(true);
  return liveness;
}

beforeAll(async () => {
  database = await createTestDatabase('elevate_two_instances');
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  await migratePostgres(pool);
  await pool.end();
  a = await createHarness({ db: await openPostgresDatabase(database.url, { poolSize: 8 }), agents: [agent], liveness: await holdLiveness() });
  b = await createHarness({ db: await openPostgresDatabase(database.url, { poolSize: 8 }), agents: [agent], liveness: await holdLiveness() });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await Promise.all(livenesses.map((l) => l.close()));
  await database?.drop();
});

describe('two instances on one PostgreSQL database', () => {
  it('200 approvals racing across both instances: exactly one wins, and the request runs once', async () => {
    const submitted = await a.module.service.submit(agent, restart('race-200'));
    if (!submitted.ok) throw new Error(submitted.error.message);
    expect(submitted.value.state).toBe('pending_consent');
    const id = submitted.value.id;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).module.lifecycle.approve(id, { kind: 'user' as const, id: `admin-${i}`, name: `Admin ${i}` })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);

    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).module.executor.executeRequest(id, a.credential, 'admin-oid')));
    expect(runs.filter((r) => r.ok)).toHaveLength(1);
    expect(a.armCalls.length + b.armCalls.length).toBe(1);
    expect(await a.module.store.countExecutions(id)).toBe(1);
    expect((await b.module.store.get(id))!.request.state).toBe('succeeded');
  });

  it('interleaved requests from both instances leave one audit chain that verifies', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).module.service.submit(agent, restart(`chain-${i}`))));
    const [fromA, fromB] = [await a.auditLog.verify(), await b.auditLog.verify()];
    expect(fromA.ok).toBe(true);
    expect(fromB).toEqual(fromA);
  });

  it("B's reconciler leaves alone an execution another live instance is running, and takes it over once that instance is gone", async () => {
    // A third instance, so that it can die without ending the suite's A.
    // B may have been the instance that ran the first test's request: count only from here.
    const [bCallsBefore, bPollsBefore] = [b.armCalls.length, b.armPolls.length];
    const livenessC = await holdLiveness();
    const c = await createHarness({ db: await openPostgresDatabase(database.url, { poolSize: 4 }), agents: [agent], liveness: livenessC, executionWaitMs: 50 });
    c.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': POLL } }));
    c.setPoll(() => ({ status: 200, body: { status: 'InProgress' } }));
    const running = await c.module.service.submit(agent, { ...restart('owner-1'), trigger: { kind: 'incident' } });
    if (!running.ok) throw new Error(running.error.message);
    expect(running.value.state).toBe('executing');
    const id = running.value.id;
    expect((await b.module.store.getExecution(id))?.instanceId).toBe(livenessC.id);

    // C is alive: B's passes (start-up-like and periodic) do not touch it.
    expect(await b.module.reconcile()).toMatchObject({ examined: 0, otherInstance: 1 });
    expect(await b.module.reconcile({ olderThanMs: 0 })).toMatchObject({ examined: 0, otherInstance: 1 });
    expect((await b.module.store.get(id))!.request.state).toBe('executing');

    // C dies (its followers stop, its session ends): B follows the operation from the record.
    await c.close();
    await livenessC.close();
    b.setPoll(() => ({ status: 200, body: { status: 'Succeeded' } }));
    expect(await b.module.reconcile({ olderThanMs: 0 })).toMatchObject({ examined: 1, resumed: 1, otherInstance: 0 });
    expect((await b.module.store.getExecution(id))?.instanceId).not.toBe(livenessC.id);
    await expect.poll(async () => (await b.module.store.get(id))!.request.state, { timeout: 5000 }).toBe('succeeded');
    // sent once, by C; B only polled
    expect(c.armCalls).toHaveLength(1);
    expect(b.armCalls).toHaveLength(bCallsBefore);
    expect(b.armPolls[bPollsBefore]).toBe(POLL);
  });

  it("an instance whose liveness session drops keeps its execution: B judges it gone but leaves the operation to it while it renews the lease, and ARM's answer ends it there", async () => {
    const LEASE_MS = 900;
    // B with leases, as a real deployment's instances all have them.
    const bLeased = await createHarness({ db: await openPostgresDatabase(database.url, { poolSize: 4 }), agents: [agent], liveness: b.module.liveness, executionLeaseMs: LEASE_MS });
    // D's liveness session is named, so the test can cut it; D does not take its lock back during the test.
    const livenessD = createPostgresLiveness({
      id: randomUUID(),
      newClient: () => new pg.Client({ connectionString: database.url, query_timeout: 5000, application_name: 'elevate-liveness-d' }),
      retryMs: 60_000,
    });
    livenesses.push(livenessD);
    expect(await livenessD.hold()).toBe(true);
    const d = await createHarness({ db: await openPostgresDatabase(database.url, { poolSize: 4 }), agents: [agent], liveness: livenessD, executionWaitMs: 50, executionLeaseMs: LEASE_MS });
    try {
      let armState = 'InProgress';
      d.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': POLL } }));
      d.setPoll(() => ({ status: 200, body: { status: armState } }));
      const running = await d.module.service.submit(agent, { ...restart('blink-1'), trigger: { kind: 'incident' } });
      if (!running.ok) throw new Error(running.error.message);
      const id = running.value.id;
      expect(running.value.state).toBe('executing');

      // D's liveness session ends (a network blip, a failover): its lock is free, B sees D as gone.
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      try {
        const { rowCount } = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'elevate-liveness-d'");
        expect(rowCount).toBe(1);
      } finally {
        await admin.end();
      }
      await expect.poll(() => bLeased.module.liveness.isAlive(livenessD.id), { timeout: 5000 }).toBe(false);

      // For several lease lengths B's passes find the execution held: D renews it through its pool.
      const callsBefore = bLeased.armCalls.length;
      for (let pass = 0; pass < 5; pass += 1) {
        expect(await bLeased.module.reconcile({ olderThanMs: 0 })).toMatchObject({ examined: 0, otherInstance: 1 });
        await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2));
      }
      expect((await bLeased.module.store.getExecution(id))?.instanceId).toBe(livenessD.id);

      armState = 'Succeeded';
      await expect.poll(async () => (await d.module.store.get(id))!.request.state, { timeout: 5000 }).toBe('succeeded');
      // The transition's audit entry follows its compare-and-set: wait for it before reading the chain.
      await expect.poll(async () => (await auditEntries(d, { requestId: id, outcome: 'succeeded' })).length, { timeout: 5000 }).toBe(1);
      const rows = (await auditEntries(d, { requestId: id })).map((e) => e.eventType);
      expect(rows).not.toContain('operation.execution.taken_over');
      expect(rows).not.toContain('operation.execution.late_result');
      expect(rows.filter((e) => e === 'arm.request')).toHaveLength(1);
      expect(d.armCalls).toHaveLength(1);
      expect(bLeased.armCalls).toHaveLength(callsBefore);
      expect(bLeased.armPolls).toEqual([]);
    } finally {
      await d.close();
      await bLeased.close();
    }
  });
});
