/**
 * The start gate and the execution's intent are one transaction (issue 16), on both adapters: no
 * one, on this instance or another, ever sees a request `executing` without its execution row.
 * The transaction is instrumented at the intent's INSERT, the instant between the two writes: a
 * second handle on the database (another instance, with its reconciler's reads) looks then, and
 * the insert can be made to fail there.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createOperationRequestStore, type OperationRequestStore } from '../../src/operations/operation-request-store.ts';
import type { Database, Queryable } from '../../src/store/database.ts';
import { openStore } from '../../src/store/migrations.ts';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { migratePostgres } from '../../src/store/postgres-migrations.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { makeAgent, PRIVILEGED_PRINCIPAL, RESTART } from './support/operation-fixtures.ts';
import { auditEntries, countRows, createHarness, type Harness } from './support/operations-harness.ts';

const agent = makeAgent({ id: 'agent-priv', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });
const APPROVER = { kind: 'user' as const, id: 'approver-oid', name: 'ada' };
const restart = (key: string) => ({ method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'restart', trigger: { kind: 'chat' }, idempotencyKey: key });

/** Called inside the start gate's transaction, just before the intent's INSERT runs. */
type IntentHook = () => Promise<void>;

/** `db`, with every transaction's INSERT INTO executions preceded by `hook()` (which may throw). */
function instrumented(db: Database, hook: { current: IntentHook | undefined }): Database {
  const wrap = (tx: Queryable): Queryable => ({
    run: async (sql, params) => {
      if (/^\s*INSERT INTO executions/i.test(sql) && hook.current) await hook.current();
      return tx.run(sql, params);
    },
    get: (sql, params) => tx.get(sql, params),
    all: (sql, params) => tx.all(sql, params),
    exec: (sql) => tx.exec(sql),
  });
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'transaction') return <T>(fn: (tx: Queryable) => Promise<T>) => target.transaction((tx) => fn(wrap(tx)));
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

interface Adapter {
  name: string;
  /** A migrated database, and a second handle on it (another instance). */
  open(): Promise<{ db: Database; other: Database }>;
}

const pgDatabases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(pgDatabases.map((d) => d.drop()));
});

const adapters: Adapter[] = [
  {
    name: 'SQLite',
    async open() {
      const path = join(mkdtempSync(join(tmpdir(), 'elevate-gate-')), 'elevate.db');
      const db = await openStore({ dbPath: path });
      return { db, other: await openStore({ dbPath: path }) };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const t = await createTestDatabase('elevate_start_gate');
      pgDatabases.push(t);
      const pool = new pg.Pool({ connectionString: t.url, max: 1 });
      await migratePostgres(pool);
      await pool.end();
      return { db: await openPostgresDatabase(t.url, { poolSize: 4 }), other: await openPostgresDatabase(t.url, { poolSize: 4 }) };
    },
  },
];

describe.each(adapters)('the start gate writes the execution intent in its own transaction, on $name', (adapter) => {
  async function withInstances(fn: (h: Harness, hook: { current: IntentHook | undefined }, otherStore: OperationRequestStore) => Promise<void>) {
    const { db, other } = await adapter.open();
    const hook: { current: IntentHook | undefined } = { current: undefined };
    const h = await createHarness({ db: instrumented(db, hook), agents: [agent] });
    try {
      await fn(h, hook, createOperationRequestStore(other));
    } finally {
      await h.close();
      await other.close();
    }
  }

  async function approved(h: Harness, key: string): Promise<string> {
    const submitted = await h.module.service.submit(agent, restart(key));
    if (!submitted.ok) throw new Error(submitted.error.message);
    expect((await h.module.lifecycle.approve(submitted.value.id, APPROVER)).ok).toBe(true);
    return submitted.value.id;
  }

  it('another instance looking between the two writes sees the request approved and no execution', async () => {
    await withInstances(async (h, hook, otherStore) => {
      const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => approved(h, `look-${i}`)));
      const seen: Array<{ id: string; state: string | undefined; execution: boolean; listedExecuting: boolean }> = [];
      let looking = ids[0]!;
      hook.current = async () => {
        const listed = await otherStore.listInState('executing', undefined, 200);
        seen.push({
          id: looking,
          state: (await otherStore.get(looking))?.request.state,
          execution: (await otherStore.getExecution(looking)) !== undefined,
          listedExecuting: listed.some((r) => r.id === looking),
        });
      };
      for (const id of ids) {
        looking = id;
        const out = await h.module.executor.executeRequest(id, h.credential, 'admin-oid');
        expect(out.ok && out.request.state).toBe('succeeded');
      }
      expect(seen).toEqual(ids.map((id) => ({ id, state: 'approved', execution: false, listedExecuting: false })));
      // and once committed, both at once, recording this instance's intent
      for (const id of ids) {
        expect((await otherStore.getExecution(id))?.result).toBe('succeeded');
      }
      expect(h.armCalls).toHaveLength(ids.length);
    });
  });

  it('a failing intent insert rolls the state change back: still approved, nothing audited, nothing sent; it runs once afterwards', async () => {
    await withInstances(async (h, hook, otherStore) => {
      const id = await approved(h, 'fail-insert');
      const before = (await otherStore.get(id))!.request;
      hook.current = () => Promise.reject(new Error('disk I/O error while inserting the intent'));
      await expect(h.module.executor.executeRequest(id, h.credential, 'admin-oid')).rejects.toThrow(/disk I\/O error/);
      expect((await otherStore.get(id))?.request).toEqual(before);
      expect(await otherStore.getExecution(id)).toBeUndefined();
      expect(await auditEntries(h, { requestId: id, outcome: 'executing' })).toEqual([]);
      expect(h.armCalls).toHaveLength(0);

      hook.current = undefined;
      const out = await h.module.executor.executeRequest(id, h.credential, 'admin-oid');
      expect(out.ok && out.request.state).toBe('succeeded');
      expect(h.armCalls).toHaveLength(1);
      expect(await otherStore.countExecutions(id)).toBe(1);
    });
  });

  it("an unrecorded start is reverted with its intent: the request can still run, once", async () => {
    await withInstances(async (h, _hook, otherStore) => {
      const id = await approved(h, 'audit-down');
      h.setAuditFailing(true);
      await expect(h.module.executor.executeRequest(id, h.credential, 'admin-oid')).rejects.toThrow(/audit log is unavailable/);
      expect((await otherStore.get(id))?.request.state).toBe('approved');
      expect(await otherStore.getExecution(id)).toBeUndefined();
      expect(await countRows(h.db, 'executions')).toBe(0);
      h.setAuditFailing(false);
      const out = await h.module.executor.executeRequest(id, h.credential, 'admin-oid');
      expect(out.ok && out.request.state).toBe('succeeded');
      expect(h.armCalls).toHaveLength(1);
    });
  });
});
