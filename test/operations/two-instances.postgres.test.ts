/**
 * Two Elevate instances on one PostgreSQL database (issue 16; adapter-specific: PostgreSQL):
 * each is a whole operations module with its own connection pool, as two replicas behind a load
 * balancer are. Approvals and executions race across both; exactly one approval wins per request,
 * each approved request reaches ARM once, and the audit chain both wrote verifies.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { migratePostgres } from '../../src/store/postgres-migrations.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { makeAgent, PRIVILEGED_PRINCIPAL, RESTART } from './support/operation-fixtures.ts';
import { createHarness, type Harness } from './support/operations-harness.ts';

const agent = makeAgent({ id: 'agent-priv', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });
const restart = (key: string) => ({ method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'restart', trigger: { kind: 'chat' }, idempotencyKey: key });

let database: TestDatabase;
let a: Harness;
let b: Harness;

beforeAll(async () => {
  database = await createTestDatabase('elevate_two_instances');
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  await migratePostgres(pool);
  await pool.end();
  a = await createHarness({ db: await openPostgresDatabase(database.url, { poolSize: 8 }), agents: [agent] });
  b = await createHarness({ db: await openPostgresDatabase(database.url, { poolSize: 8 }), agents: [agent] });
});
afterAll(async () => {
  await a?.close();
  await b?.close();
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
});
